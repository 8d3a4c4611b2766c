//! The target-group register through the real server: a household registered once
//! however often the phone sends it, consent before any personal data, members' numbers
//! sealed in storage and masked when read, changes under optimistic concurrency kept in
//! the household's history, and every list within the caller's area.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestUser};
use fieldweek::domain::Role;

const NATIONAL_ID: &str = "1103702071188";

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A household in Chiang Mai's Mueang district with a bed-ridden grandmother (her phone
/// and national ID recorded with consent) and a grandson.
fn household(id: &str, grandmother: &str) -> Value {
    json!({
        "id": id,
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 10.0},
        "address": "12 หมู่ 3 บ้านสันป่าสัก",
        "consent": true,
        "members": [
            {
                "id": grandmother,
                "name": "นางบุญมา ใจดี",
                "birth_year": 2490,
                "sex": "female",
                "target_groups": ["elderly", "disabled"],
                "phone": "081-234-5678",
                "national_id": NATIONAL_ID,
                "notes": "ติดเตียง",
            },
            {"birth_year": 2555, "sex": "male", "target_groups": ["children"]},
        ],
    })
}

async fn register(app: &TestApp, user: &TestUser, body: &Value) -> (u16, Value, String) {
    let response = app
        .send_as(user, Method::POST, "/api/v1/households", body)
        .await;
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, response.json().await.unwrap(), etag)
}

async fn change(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut request = app
        .as_user(user, Method::PATCH, &format!("/api/v1/households/{id}"))
        .json(body);
    if let Some(version) = if_match {
        request = request.header("If-Match", version);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_owned(),
                        e["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_household_is_registered_once_and_read_back_with_its_numbers_masked() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let (id, grandmother) = (new_id(), new_id());
    let body = household(&id, &grandmother);

    let (status, filed, etag) = register(&app, &volunteer, &body).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!(etag, "\"1\"");
    assert_eq!(filed["id"], id);
    assert_eq!(filed["version"], 1);
    assert_eq!(filed["area_code"].as_str().unwrap().len(), 6, "{filed}");
    assert_eq!(filed["created_by"]["id"], volunteer.id);
    let members = filed["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["id"], grandmother);
    assert_eq!(
        (&members[0]["birth_year"], &members[0]["birth_year_be"]),
        (&json!(1947), &json!(2490)),
        "a Buddhist-Era year is kept in the Common Era"
    );
    assert_eq!(
        members[0]["phone"], "+66812345678",
        "the filer reads back what it sent"
    );
    assert_eq!(members[0]["national_id"], NATIONAL_ID);
    let mut groups: Vec<&str> = filed["target_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    groups.sort_unstable();
    assert_eq!(groups, ["children", "disabled", "elderly"]);
    assert_eq!(filed["history"][0]["action"], "created");
    assert_eq!(filed["history"][0]["actor"]["id"], volunteer.id);

    // The phone sends it again (it never heard the answer): the same household.
    let (status, again, _) = register(&app, &volunteer, &body).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], id);
    assert_eq!(again["members"].as_array().unwrap().len(), 2);
    // Another household under the same id is refused.
    let mut other = body.clone();
    other["address"] = json!("99 หมู่ 9");
    let (status, problem, _) = register(&app, &volunteer, &other).await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "id_conflict");
    assert_eq!(app.audit_entries("household.created").len(), 1);

    // Read back: numbers masked to their last 4 digits.
    let (status, read) = app
        .get_as(&volunteer, &format!("/api/v1/households/{id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["masked"], true);
    assert_eq!(read["members"][0]["phone"], "******5678");
    assert_eq!(read["members"][0]["national_id"], "*********1188");
    assert_eq!(read["members"][0]["name"], "นางบุญมา ใจดี");

    // Stored sealed: neither number is in the database in clear.
    let stored: Vec<(Option<String>, Option<String>)> = {
        use diesel::prelude::*;
        use fieldweek::db::schema::household_members;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        household_members::table
            .select((
                household_members::phone_cipher,
                household_members::national_id_cipher,
            ))
            .load(&mut *conn)
            .unwrap()
    };
    let sealed = &stored
        .iter()
        .find(|(phone, _)| phone.is_some())
        .expect("the grandmother's numbers");
    let (phone, national_id) = (sealed.0.as_deref().unwrap(), sealed.1.as_deref().unwrap());
    assert!(!phone.contains("812345678") && !national_id.contains(NATIONAL_ID));
}

#[tokio::test]
async fn without_consent_a_household_keeps_counts_and_groups_but_no_personal_data() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let mut body = household(&new_id(), &new_id());
    body["consent"] = json!(false);
    let (status, problem, _) = register(&app, &volunteer, &body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        field_codes(&problem),
        [("members[0].name".to_owned(), "consent_required".to_owned())]
    );

    let anonymous = json!({
        "location": {"lat": 18.7883, "lon": 98.9853},
        "consent": false,
        "members": [
            {"birth_year": 1950, "sex": "female", "target_groups": ["elderly"]},
            {"birth_year": 2560, "target_groups": ["children"]},
        ],
    });
    let (status, filed, _) = register(&app, &volunteer, &anonymous).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["consent"], false);
    assert_eq!(filed["members"].as_array().unwrap().len(), 2);
    assert!(filed["members"][0]["name"].is_null());

    // Bad members are each named.
    let broken = json!({
        "location": {"lat": 18.7883, "lon": 98.9853},
        "consent": true,
        "members": [{"birth_year": 2600, "national_id": "1103702071189", "phone": "12"}],
    });
    let (status, problem, _) = register(&app, &volunteer, &broken).await;
    assert_eq!(status, 422);
    let mut fields: Vec<String> = field_codes(&problem).into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "members[0].birth_year",
            "members[0].national_id",
            "members[0].phone"
        ]
    );
}

#[tokio::test]
async fn changes_are_refused_when_stale_and_each_is_kept_in_the_history() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let other_volunteer = app.user("vol.two", Role::Volunteer, "5001").await;
    let (id, grandmother) = (new_id(), new_id());
    let (_, filed, _) = register(&app, &volunteer, &household(&id, &grandmother)).await;
    let grandson = filed["members"][1]["id"].as_str().unwrap().to_owned();
    let newborn = new_id();

    // A neighbour volunteer of the same area updates the register.
    let (status, changed) = change(
        &app,
        &other_volunteer,
        &id,
        Some("\"1\""),
        &json!({
            "address": "12/1 หมู่ 3 บ้านสันป่าสัก",
            "members": [
                {"id": grandmother, "phone": "089-111-2222"},
                {"id": grandson, "removed": true},
                {"id": newborn, "name": "ด.ญ. น้ำฝน ใจดี", "birth_year": 2569, "sex": "female",
                 "target_groups": ["children"]},
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["address"], "12/1 หมู่ 3 บ้านสันป่าสัก");
    let names: Vec<&str> = changed["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [grandmother.as_str(), newborn.as_str()],
        "the grandson is off"
    );
    assert_eq!(changed["members"][0]["phone"], "******2222");
    assert_eq!(
        changed["members"][0]["name"], "นางบุญมา ใจดี",
        "fields not given are kept"
    );
    let last = &changed["history"][1];
    assert_eq!(last["action"], "updated");
    assert_eq!(last["version"], 2);
    assert_eq!(last["actor"]["id"], other_volunteer.id);
    let changes: Vec<&str> = last["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(changes.contains(&"address"), "{changes:?}");
    assert!(changes.contains(&format!("members[{grandmother}].phone").as_str()));
    assert!(changes.contains(&format!("members[{grandson}].removed").as_str()));
    assert!(changes.contains(&format!("members[{newborn}].added").as_str()));
    assert!(
        !last.to_string().contains("2222"),
        "the history names fields, never values: {last}"
    );

    // The first volunteer, still on version 1, is told it changed.
    let (status, problem) = change(
        &app,
        &volunteer,
        &id,
        Some("\"1\""),
        &json!({"address": "ที่อยู่เก่า"}),
    )
    .await;
    assert_eq!(status, 412, "{problem}");
    assert_eq!(problem["code"], "version_mismatch");

    // Consent withdrawn: every name and number goes, the people stay as counts.
    let (status, withdrawn) = change(
        &app,
        &volunteer,
        &id,
        Some("\"2\""),
        &json!({"consent": false}),
    )
    .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["consent"], false);
    for member in withdrawn["members"].as_array().unwrap() {
        assert!(
            member["name"].is_null() && member["phone"].is_null(),
            "{member}"
        );
    }
    assert_eq!(withdrawn["members"].as_array().unwrap().len(), 2);
    // And none may come back without it.
    let (status, problem) = change(
        &app,
        &volunteer,
        &id,
        None,
        &json!({"members": [{"id": grandmother, "name": "นางบุญมา ใจดี"}]}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(field_codes(&problem)[0].1, "consent_required");
    assert_eq!(app.audit_entries("household.updated").len(), 2);
}

#[tokio::test]
async fn households_are_read_and_listed_within_the_callers_area() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let far_volunteer = app.user("vol.cr", Role::Volunteer, "57").await;
    let (mine, _) = (new_id(), new_id());
    register(&app, &volunteer, &household(&mine, &new_id())).await;
    let second = json!({
        "location": {"lat": 18.7890, "lon": 98.9860},
        "address": "45 หมู่ 3",
        "consent": true,
        "members": [{"name": "นายสมหมาย ทองดี", "target_groups": ["low_income"]}],
    });
    let (status, second, _) = register(&app, &volunteer, &second).await;
    assert_eq!(status, 201, "{second}");
    let far = json!({
        "location": {"lat": 19.9105, "lon": 99.8406},
        "consent": false,
        "members": [{"target_groups": ["elderly"]}],
    });
    let (status, far, _) = register(&app, &far_volunteer, &far).await;
    assert_eq!(status, 201, "{far}");
    let far_id = far["id"].as_str().unwrap();

    // Outside one's area a household does not exist.
    let (status, _) = app
        .get_as(&volunteer, &format!("/api/v1/households/{far_id}"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = change(&app, &volunteer, far_id, None, &json!({"address": "x"})).await;
    assert_eq!(status, 404);

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, page) = app.get_as(&volunteer, "/api/v1/households").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page).len(), 2, "the village's two, not Chiang Rai's");
    let (_, page) = app
        .get_as(&supervisor, "/api/v1/households?target_group=low_income")
        .await;
    assert_eq!(ids(&page), [second["id"].as_str().unwrap()]);
    let (_, page) = app
        .get_as(
            &supervisor,
            "/api/v1/households?q=%E0%B8%9A%E0%B8%B8%E0%B8%8D%E0%B8%A1%E0%B8%B2",
        )
        .await;
    assert_eq!(
        ids(&page),
        [mine.as_str()],
        "found by a member's name (บุญมา)"
    );
    let (_, page) = app
        .get_as(
            &supervisor,
            "/api/v1/households?near=18.7883,98.9853&radius_m=30",
        )
        .await;
    assert_eq!(ids(&page), [mine.as_str()], "within 30 m of the first");
    let (_, page) = app.get_as(&supervisor, "/api/v1/households?limit=1").await;
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let (_, rest) = app
        .get_as(
            &supervisor,
            &format!("/api/v1/households?limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(ids(&page).len() + ids(&rest).len(), 2);
    assert_ne!(ids(&page), ids(&rest));
    let (status, _) = app.get_as(&supervisor, "/api/v1/households?area=57").await;
    assert_eq!(status, 403, "another province is refused, not emptied");
    let (status, problem) = app
        .get_as(&supervisor, "/api/v1/households?target_group=giants")
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_codes(&problem)[0].0, "target_group");
}

#[tokio::test]
async fn subject_access_finds_a_member_and_erasure_removes_them_but_keeps_the_counts() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let admin = app.admin().await;
    let (id, grandmother) = (new_id(), new_id());
    let (status, _, _) = register(&app, &volunteer, &household(&id, &grandmother)).await;
    assert_eq!(status, 201);

    let ask = |path: &'static str, body: Value| {
        let app = &app;
        let admin = &admin;
        async move {
            let response = app.send_as(admin, Method::POST, path, &body).await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, access) = ask(
        "/api/v1/privacy/subject-access",
        json!({"national_id": NATIONAL_ID}),
    )
    .await;
    assert_eq!(status, 200, "{access}");
    let found = access["households"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], id);
    assert_eq!(
        found[0]["members"][0]["national_id"], NATIONAL_ID,
        "unmasked"
    );
    let (_, by_phone) = ask(
        "/api/v1/privacy/subject-access",
        json!({"phone": "0812345678"}),
    )
    .await;
    assert_eq!(by_phone["households"][0]["id"], id, "found by phone too");

    let (status, erased) = ask("/api/v1/privacy/erasure", json!({"phone": "081-234-5678"})).await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["household_members"], json!([grandmother]));
    let (_, read) = app
        .get_as(&volunteer, &format!("/api/v1/households/{id}"))
        .await;
    let member = &read["members"][0];
    assert!(
        member["name"].is_null()
            && member["phone"].is_null()
            && member["national_id"].is_null()
            && member["notes"].is_null(),
        "{member}"
    );
    assert_eq!(member["birth_year"], 1947, "the counts stay");
    assert_eq!(member["target_groups"], json!(["elderly", "disabled"]));
    assert!(read["address"].is_null(), "the address pointed at her home");
    assert_eq!(
        read["history"].as_array().unwrap().last().unwrap()["action"],
        "erased"
    );
    let (_, again) = ask(
        "/api/v1/privacy/subject-access",
        json!({"national_id": NATIONAL_ID}),
    )
    .await;
    assert_eq!(again["households"], json!([]), "nothing left to find");
}

#[tokio::test]
async fn a_national_id_registered_twice_points_at_the_other_household_the_reader_may_see() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let far_volunteer = app.user("vol.cr", Role::Volunteer, "57").await;
    let (first, second) = (new_id(), new_id());
    register(&app, &volunteer, &household(&first, &new_id())).await;
    // The same grandmother, registered again at her son's house down the road.
    let again = json!({
        "id": second,
        "location": {"lat": 18.7890, "lon": 98.9860},
        "consent": true,
        "members": [{"name": "บุญมา ใจดี", "national_id": NATIONAL_ID}],
    });
    let (status, filed, _) = register(&app, &volunteer, &again).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["possible_duplicates"], json!([first]));
    // And in Chiang Rai under the same number: no one in Chiang Mai learns of it.
    let far = json!({
        "location": {"lat": 19.9105, "lon": 99.8406},
        "consent": true,
        "members": [{"national_id": NATIONAL_ID}],
    });
    let (status, far, _) = register(&app, &far_volunteer, &far).await;
    assert_eq!(status, 201, "{far}");
    assert_eq!(
        far["possible_duplicates"],
        json!([]),
        "Chiang Mai's are not the reader's"
    );

    let (_, read) = app
        .get_as(&volunteer, &format!("/api/v1/households/{first}"))
        .await;
    assert_eq!(read["possible_duplicates"], json!([second]));
    let admin = app.admin().await;
    let (_, seen_by_admin) = app
        .get_as(&admin, &format!("/api/v1/households/{first}"))
        .await;
    assert_eq!(
        seen_by_admin["possible_duplicates"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the whole country's register: {seen_by_admin}"
    );
}

#[tokio::test]
async fn visits_and_grievances_tell_a_households_story_and_the_latest_visit_sets_the_next() {
    use chrono::{Duration, Utc};
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let neighbour = app.user("vol.two", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let far_volunteer = app.user("vol.cr", Role::Volunteer, "57").await;
    let id = new_id();
    register(&app, &volunteer, &household(&id, &new_id())).await;
    let far = json!({"location": {"lat": 19.9105, "lon": 99.8406}, "consent": false});
    let (_, far, _) = register(&app, &far_volunteer, &far).await;
    let far_id = far["id"].as_str().unwrap();

    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let visit_at = |age: Duration, follow_up: Option<chrono::NaiveDate>, household: &str| {
        let mut body = crate::visits::visit(&new_id());
        body["visited_at"] = json!((Utc::now() - age).to_rfc3339());
        body["household_id"] = json!(household);
        body["follow_up_needed"] = json!(follow_up.is_some());
        if let Some(by) = follow_up {
            body["follow_up_by"] = json!(by.to_string());
        }
        body
    };
    let file = |body: Value| {
        let app = &app;
        let volunteer = &volunteer;
        async move {
            let response = app
                .send_as(volunteer, Method::POST, "/api/v1/visits", &body)
                .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let read = |user: &TestUser| {
        let app = &app;
        let path = format!("/api/v1/households/{id}");
        let user = user.clone();
        async move { app.get_as(&user, &path).await.1 }
    };
    let listed = |query: &'static str| {
        let app = &app;
        let supervisor = supervisor.clone();
        async move {
            let (_, page) = app
                .get_as(&supervisor, &format!("/api/v1/households?{query}"))
                .await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_str().unwrap().to_owned())
                .collect::<Vec<String>>()
        }
    };

    // A visit asks to come back in three days.
    let due = today + Duration::days(3);
    let (status, first) = file(visit_at(Duration::hours(1), Some(due), &id)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["household_id"], id);
    assert_eq!(first["follow_up_by"], due.to_string());
    let story = read(&volunteer).await;
    assert_eq!(story["next_visit_due"], due.to_string());
    assert_eq!(story["visits"][0]["id"], first["id"]);
    assert_eq!(story["visits"][0]["author"]["id"], volunteer.id);
    assert_eq!(listed("follow_up_due=true").await, vec![id.clone()]);
    assert!(!listed("follow_up_due=false").await.contains(&id));

    // A visit synced late, older than that one, changes nothing.
    let (status, _) = file(visit_at(Duration::days(2), None, &id)).await;
    assert_eq!(status, 201);
    assert_eq!(read(&volunteer).await["next_visit_due"], due.to_string());
    // A later visit without a follow-up closes it.
    let (status, last) = file(visit_at(Duration::minutes(10), None, &id)).await;
    assert_eq!(status, 201);
    let story = read(&volunteer).await;
    assert!(story["next_visit_due"].is_null(), "{story}");
    assert_eq!(story["visits"].as_array().unwrap().len(), 3);
    assert_eq!(story["visits"][0]["id"], last["id"], "newest first");
    assert!(listed("follow_up_due=true").await.is_empty());
    // A follow-up without a date is due a week after the visit.
    let (status, asked) = file({
        let mut body = visit_at(Duration::minutes(5), None, &id);
        body["follow_up_needed"] = json!(true);
        body
    })
    .await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(
        read(&volunteer).await["next_visit_due"],
        (today + Duration::days(7)).to_string()
    );

    // A grievance about the household joins its story.
    let mut grievance = crate::grievances::grievance(&new_id());
    grievance["household_id"] = json!(id);
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &grievance)
        .await;
    assert_eq!(response.status(), 201);
    let story = read(&supervisor).await;
    assert_eq!(story["grievances"].as_array().unwrap().len(), 1);
    assert_eq!(
        story["visits"].as_array().unwrap().len(),
        4,
        "staff read every visit"
    );
    // Another volunteer of the village reads the register, not someone else's visits.
    let story = read(&neighbour).await;
    assert_eq!(story["visits"], json!([]));
    assert_eq!(story["grievances"], json!([]));

    // A household the filer may not read, a date without a follow-up: refused by name.
    let (status, problem) = file(visit_at(Duration::hours(1), None, far_id)).await;
    assert_eq!(status, 422);
    assert_eq!(
        field_codes(&problem),
        [("household_id".to_owned(), "not_found_reference".to_owned())]
    );
    let mut dated = visit_at(Duration::hours(1), None, &id);
    dated["follow_up_by"] = json!(due.to_string());
    let (status, problem) = file(dated).await;
    assert_eq!(status, 422);
    assert_eq!(field_codes(&problem)[0].0, "follow_up_by");
    let mut grievance = crate::grievances::grievance(&new_id());
    grievance["household_id"] = json!(far_id);
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &grievance)
        .await;
    assert_eq!(response.status(), 422);

    // In a phone's batch, only the item naming a foreign household is refused.
    let batch = json!({"visits": [
        visit_at(Duration::hours(2), None, &id),
        visit_at(Duration::hours(2), None, far_id),
    ]});
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits/batch", &batch)
        .await;
    assert_eq!(response.status(), 200);
    let results: Value = response.json().await.unwrap();
    let statuses: Vec<i64> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 422]);
}

#[tokio::test]
async fn the_weekly_report_counts_the_register_and_the_console_tells_each_households_story() {
    use chrono::{Datelike, Duration, Utc};
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let far_volunteer = app.user("vol.cr", Role::Volunteer, "57").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let admin = app.admin().await;

    // Everything happens in this Bangkok week: a run in its first two minutes waits.
    let bangkok_now = Utc::now() + Duration::hours(7);
    let into_week = bangkok_now
        .time()
        .signed_duration_since(chrono::NaiveTime::MIN)
        + Duration::days(i64::from(bangkok_now.weekday().num_days_from_monday()));
    if into_week < Duration::minutes(2) {
        tokio::time::sleep((Duration::minutes(2) - into_week).to_std().unwrap()).await;
    }
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let week = today.iso_week();
    let week = format!("{}-W{:02}", week.year(), week.week());

    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = new_id();
        let (status, _, _) = register(&app, &volunteer, &household(&id, &new_id())).await;
        assert_eq!(status, 201);
        ids.push(id);
    }
    let far = json!({"location": {"lat": 19.9105, "lon": 99.8406}, "consent": false});
    let (_, far, _) = register(&app, &far_volunteer, &far).await;
    let far_id = far["id"].as_str().unwrap().to_owned();

    let visit = |seconds_ago: i64, household: &str, follow_up: Option<chrono::NaiveDate>| {
        let mut body = crate::visits::visit(&new_id());
        body["visited_at"] = json!((Utc::now() - Duration::seconds(seconds_ago)).to_rfc3339());
        body["household_id"] = json!(household);
        body["follow_up_needed"] = json!(follow_up.is_some());
        if let Some(by) = follow_up {
            body["follow_up_by"] = json!(by.to_string());
        }
        body
    };
    let file = |user: &TestUser, body: Value| {
        let app = &app;
        let user = user.clone();
        async move {
            let response = app
                .send_as(&user, Method::POST, "/api/v1/visits", &body)
                .await;
            assert_eq!(response.status(), 201);
        }
    };
    // The first household's follow-up, due today, is done by a later visit; the
    // second's is not; the fourth's falls due next week; the third is never visited.
    file(&volunteer, visit(50, &ids[0], Some(today))).await;
    file(&volunteer, visit(40, &ids[0], None)).await;
    file(&volunteer, visit(30, &ids[1], Some(today))).await;
    file(
        &volunteer,
        visit(20, &ids[3], Some(today + Duration::days(8))),
    )
    .await;
    let mut far_visit = visit(10, &far_id, Some(today));
    far_visit["location"] = json!({"lat": 19.9105, "lon": 99.8406, "accuracy_m": 10.0});
    file(&far_volunteer, far_visit).await;

    let figures = |user: &TestUser, area: &str| {
        let app = &app;
        let path = format!("/api/v1/reports/weekly?week={week}{area}");
        let user = user.clone();
        async move {
            let (status, report) = app.get_as(&user, &path).await;
            assert_eq!(status, 200, "{report}");
            report["households"].clone()
        }
    };
    assert_eq!(
        figures(&supervisor, "&area=50").await,
        json!({"registered": 4, "new": 4, "visited": 3, "follow_ups_due": 2, "follow_ups_done": 1})
    );
    assert_eq!(
        figures(&admin, "").await,
        json!({"registered": 5, "new": 5, "visited": 4, "follow_ups_due": 3, "follow_ups_done": 1})
    );
    // Last week nothing was registered yet.
    let last_week = (today - Duration::days(7)).iso_week();
    let (_, earlier) = app
        .get_as(
            &admin,
            &format!(
                "/api/v1/reports/weekly?week={}-W{:02}",
                last_week.year(),
                last_week.week()
            ),
        )
        .await;
    assert_eq!(earlier["households"]["registered"], 0);

    // The summary export carries the same counts, labelled in Thai.
    let response = app
        .as_user(
            &supervisor,
            Method::GET,
            &format!(
                "/api/v1/reports/weekly/export?week={week}&area=50&format=csv&dataset=summary"
            ),
        )
        .send()
        .await
        .unwrap();
    let body = response.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[2].to_owned())
        })
        .collect();
    for (item, value) in [("ในทะเบียน", "4"), ("ครบกำหนดติดตาม", "2"), ("ติดตามแล้ว", "1")]
    {
        assert!(
            rows.contains(&("ครัวเรือนในทะเบียน".into(), item.into(), value.into())),
            "{item}: {rows:?}"
        );
    }

    // The console: the supervisor's queue of due follow-ups (today's two, not next
    // week's, nor another province's), and a household's timeline.
    let mut browser = crate::console::Browser::new(&app);
    browser.sign_in("sup", crate::helpers::PASSWORD).await;
    let (status, queue, _) = browser.get("/console/households").await;
    assert_eq!(status, 200);
    let listed: Vec<&String> = ids
        .iter()
        .filter(|id| queue.contains(id.as_str()))
        .collect();
    assert_eq!(listed, [&ids[1]], "only the open follow-up: {queue}");
    assert!(!queue.contains(&far_id));
    let (_, register_page, _) = browser
        .get("/console/households?view=all&q=บุญมา&target_group=")
        .await;
    assert!(ids.iter().all(|id| register_page.contains(id.as_str())));
    let (status, story, _) = browser
        .get(&format!("/console/households/{}", ids[0]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(story.matches(r#"data-kind="visit""#).count(), 2, "{story}");
    assert_eq!(story.matches(r#"data-kind="change""#).count(), 1);
    assert!(
        story.contains("******5678") && !story.contains("+66812345678"),
        "masked"
    );
    assert!(story.contains("นางบุญมา ใจดี"));
    // Another province's household is not there, as the API hides it.
    assert_eq!(
        browser
            .get(&format!("/console/households/{far_id}"))
            .await
            .0,
        404
    );
    // The visit cards lead back to the household.
    let (_, visits, _) = browser
        .get(&format!("/console/visits?household={}", ids[0]))
        .await;
    assert_eq!(visits.matches(r#"class="visit""#).count(), 2);
    assert!(visits.contains(&format!("/console/households/{}", ids[0])));
}

#[tokio::test]
async fn each_households_story_shows_what_the_reader_may_see_however_busy_the_others() {
    use chrono::{Duration, Utc};
    let app = spawn_app().await;
    let quiet_volunteer = app.user("vol.quiet", Role::Volunteer, "5001").await;
    let busy_volunteer = app.user("vol.busy", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let shared = new_id();
    let (status, ..) = register(&app, &quiet_volunteer, &household(&shared, &new_id())).await;
    assert_eq!(status, 201);
    let other = new_id();
    let (status, ..) = register(&app, &quiet_volunteer, &household(&other, &new_id())).await;
    assert_eq!(status, 201);

    let visit_to = |household: &str, days_ago: i64| {
        let mut body = crate::visits::visit(&new_id());
        body["visited_at"] = json!((Utc::now() - Duration::days(days_ago)).to_rfc3339());
        body["household_id"] = json!(household);
        body
    };
    // The quiet volunteer's visits are older than anything the busy one files.
    let own = visit_to(&shared, 20);
    let elsewhere = visit_to(&other, 21);
    for body in [&own, &elsewhere] {
        let response = app
            .send_as(&quiet_volunteer, Method::POST, "/api/v1/visits", body)
            .await;
        assert_eq!(response.status().as_u16(), 201);
    }
    // Then the other volunteer fills a whole story and more with newer visits.
    let busy: Vec<Value> = (0..51).map(|n| visit_to(&shared, n % 10)).collect();
    let response = app
        .send_as(
            &busy_volunteer,
            Method::POST,
            "/api/v1/visits/batch",
            &json!({ "visits": busy }),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let results: Value = response.json().await.unwrap();
    assert!(
        results["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == 201),
        "{results}"
    );

    let story_ids = |household: &Value| -> Vec<String> {
        household["visits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // A volunteer sees its own records only, and the busy week does not push them out.
    let (status, read) = app
        .get_as(&quiet_volunteer, &format!("/api/v1/households/{shared}"))
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(story_ids(&read), vec![own["id"].as_str().unwrap()]);

    // A supervisor sees the newest fifty of the busy household, and the quiet
    // household's own visit beside it in the same list.
    let (status, page) = app.get_as(&supervisor, "/api/v1/households").await;
    assert_eq!(status, 200, "{page}");
    let listed = |id: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .cloned()
            .unwrap()
    };
    let busy_story = story_ids(&listed(&shared));
    assert_eq!(busy_story.len(), 50);
    assert!(!busy_story.contains(&own["id"].as_str().unwrap().to_owned()));
    assert_eq!(
        story_ids(&listed(&other)),
        vec![elsewhere["id"].as_str().unwrap()]
    );
}
