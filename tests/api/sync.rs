//! The phone sync feed (`GET /sync/changes`): a new phone restores its set, later changes
//! arrive once, records that leave the set are removed, bad cursors are 410, and racing
//! writers (on PostgreSQL, in two server processes) never make a reader skip a change.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, engine, spawn_app, spawn_app_with, TestApp, TestUser};

/// One answer of the feed, checked to be a 200.
async fn page(app: &TestApp, user: &TestUser, cursor: Option<&str>, limit: u32) -> Value {
    let mut path = format!("/api/v1/sync/changes?limit={limit}");
    if let Some(cursor) = cursor {
        path.push_str(&format!("&cursor={cursor}"));
    }
    let (status, body) = app.get_as(user, &path).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["next_cursor"].is_string(), "{body}");
    body
}

/// Every change until the feed has no more, and the cursor to go on from.
async fn drain(
    app: &TestApp,
    user: &TestUser,
    mut cursor: Option<String>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut changes = Vec::new();
    for _ in 0..1_000 {
        let body = page(app, user, cursor.as_deref(), limit).await;
        let got = body["changes"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "{body}");
        changes.extend(got.iter().cloned());
        cursor = Some(body["next_cursor"].as_str().unwrap().to_owned());
        if body["has_more"] == false {
            return (changes, cursor.unwrap());
        }
    }
    panic!("the feed never ran dry");
}

/// [`drain`] again and again until the changes gathered hold at least `count`: on
/// PostgreSQL a transaction still open anywhere on the server (another test's) holds the
/// feed back for a moment, and "no more" then means "no more yet".
async fn drain_at_least(
    app: &TestApp,
    user: &TestUser,
    mut cursor: Option<String>,
    limit: u32,
    count: usize,
) -> (Vec<Value>, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut all = Vec::new();
    loop {
        let (changes, next) = drain(app, user, cursor, limit).await;
        all.extend(changes);
        cursor = Some(next);
        if all.len() >= count || Instant::now() > deadline {
            return (all, cursor.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a phone holds after applying `changes` in order: (kind, id) -> document.
fn apply(held: &mut HashMap<(String, String), Value>, changes: &[Value]) {
    for change in changes {
        let key = (
            change["kind"].as_str().unwrap().to_owned(),
            change["id"].as_str().unwrap().to_owned(),
        );
        assert!(change["changed_at"].is_string(), "{change}");
        match change["op"].as_str().unwrap() {
            "upsert" => {
                assert!(change["data"].is_object(), "{change}");
                held.insert(key, change["data"].clone());
            }
            "remove" => {
                assert!(change["data"].is_null(), "{change}");
                held.remove(&key);
            }
            other => panic!("unknown op {other}"),
        }
    }
}

fn ids_of(held: &HashMap<(String, String), Value>, kind: &str) -> HashSet<String> {
    held.keys()
        .filter(|(k, _)| k == kind)
        .map(|(_, id)| id.clone())
        .collect()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn file_grievance(app: &TestApp, user: &TestUser, national_id: &str) -> String {
    let id = new_id();
    let mut body = crate::grievances::grievance(&id);
    body["complainant"]["national_id"] = json!(national_id);
    let response = app
        .send_as(user, Method::POST, "/api/v1/grievances", &body)
        .await;
    assert_eq!(response.status(), 201);
    id
}

async fn move_grievance(app: &TestApp, by: &TestUser, id: &str, body: Value) -> Value {
    let response = app
        .send_as(
            by,
            Method::POST,
            &format!("/api/v1/grievances/{id}/transitions"),
            &body,
        )
        .await;
    let status = response.status();
    let view: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body} -> {view}");
    view
}

fn national_id(first12: &str) -> String {
    let check = fieldweek::domain::ThaiNationalId::check_digit(first12).unwrap();
    format!("{first12}{check}")
}

#[tokio::test]
async fn a_new_phone_restores_its_whole_set_page_by_page_with_the_documents_get_returns() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let other = app.user("other", Role::Volunteer, "5001").await;
    let official = app.user("off", Role::Official, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let mut visits = HashSet::new();
    for _ in 0..5 {
        let id = new_id();
        crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&id)).await;
        visits.insert(id);
    }
    crate::visits::file_ok(&app, &other, &crate::visits::visit(&new_id())).await;
    let nid = national_id("110370207118");
    let mine = file_grievance(&app, &volunteer, &nid).await;
    let assigned = file_grievance(&app, &other, &nid).await;
    move_grievance(&app, &supervisor, &assigned, json!({"action": "accept"})).await;
    move_grievance(
        &app,
        &supervisor,
        &assigned,
        json!({"action": "assign", "assignee_id": official.id}),
    )
    .await;

    // Pages of 3: the whole set, each record once, no page too long.
    let (changes, _) = drain_at_least(&app, &volunteer, None, 3, 7).await;
    assert!(changes.iter().all(|c| c["op"] == "upsert"), "{changes:?}");
    let mut held = HashMap::new();
    apply(&mut held, &changes);
    assert_eq!(changes.len(), held.len(), "each record once");
    assert_eq!(ids_of(&held, "visit"), visits);
    assert_eq!(ids_of(&held, "grievance"), HashSet::from([mine.clone()]));
    assert_eq!(
        ids_of(&held, "account"),
        HashSet::from([volunteer.id.clone()])
    );

    // Each document is what GET returns to the same caller, masking included.
    for ((kind, id), data) in &held {
        let path = match kind.as_str() {
            "visit" => format!("/api/v1/visits/{id}"),
            "grievance" => format!("/api/v1/grievances/{id}"),
            _ => "/api/v1/me".to_owned(),
        };
        let (status, got) = app.get_as(&volunteer, &path).await;
        assert_eq!(status, 200);
        assert_eq!(&got, data, "{kind} {id}");
    }
    // The assignee's phone holds what it was assigned, unmasked like its GET.
    let (changes, _) = drain_at_least(&app, &official, None, 100, 2).await;
    let mut held = HashMap::new();
    apply(&mut held, &changes);
    assert_eq!(
        ids_of(&held, "grievance"),
        HashSet::from([assigned.clone()])
    );
    let data = &held[&("grievance".to_owned(), assigned.clone())];
    assert_eq!(data["complainant"]["national_id"], nid.as_str());
    let (_, got) = app
        .get_as(&official, &format!("/api/v1/grievances/{assigned}"))
        .await;
    assert_eq!(&got, data);
    // Showing a complainant's data in full is audited, as a GET is.
    let reads = app.audit_entries("grievance.personal_data_read");
    assert!(
        reads.iter().any(|(actor, record, details)| {
            actor.as_deref() == Some(official.id.as_str())
                && record.as_deref() == Some(assigned.as_str())
                && details["via"] == "sync"
        }),
        "{reads:?}"
    );
}

#[tokio::test]
async fn later_changes_arrive_once_in_their_latest_state() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let first = new_id();
    crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&first)).await;
    let (_, cursor) = drain_at_least(&app, &volunteer, None, 100, 2).await;

    // Nothing new: nothing comes, and the cursor still works.
    let body = page(&app, &volunteer, Some(&cursor), 100).await;
    assert_eq!(body["changes"], json!([]));
    assert_eq!(body["has_more"], false);
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();

    // A new visit, and a review of the first one: two upserts, the review included.
    let second = new_id();
    crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&second)).await;
    let response = app
        .send_as(
            &supervisor,
            Method::POST,
            &format!("/api/v1/visits/{first}/review"),
            &json!({"review_status": "verified"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (changes, cursor) = drain_at_least(&app, &volunteer, Some(cursor), 100, 2).await;
    let mut held = HashMap::new();
    apply(&mut held, &changes);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        held[&("visit".to_owned(), first.clone())]["review_status"],
        "verified"
    );
    assert!(held.contains_key(&("visit".to_owned(), second.clone())));

    // A photo added to a visit changes the visit's document: it comes again, with it.
    let response = crate::visits::upload(
        &app,
        &volunteer,
        &second,
        "image/jpeg",
        crate::visits::jpeg(3, 2_000),
    )
    .await;
    assert_eq!(response.status(), 201);
    let (changes, cursor) = drain_at_least(&app, &volunteer, Some(cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["id"], second.as_str());
    assert_eq!(changes[0]["data"]["photos"].as_array().unwrap().len(), 1);

    // A grievance filed, then commented on twice before the phone asks: one upsert, with
    // both comments.
    let grievance = file_grievance(&app, &volunteer, &national_id("110370207118")).await;
    for body in ["ขอบคุณครับ", "มีข้อมูลเพิ่มเติม"]
    {
        let response = app
            .send_as(
                &volunteer,
                Method::POST,
                &format!("/api/v1/grievances/{grievance}/comments"),
                &json!({"body": body}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let (changes, _) = drain_at_least(&app, &volunteer, Some(cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["id"], grievance.as_str());
    assert_eq!(changes[0]["data"]["comments"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn records_that_leave_the_set_are_removed_once() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let first = app.user("off.one", Role::Official, "5001").await;
    let second = app.user("off.two", Role::Official, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let admin = app.admin().await;
    let visit = new_id();
    crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&visit)).await;
    let nid = national_id("310050012345");
    let kept = file_grievance(&app, &volunteer, &national_id("110370207118")).await;
    let erased = file_grievance(&app, &volunteer, &nid).await;
    for id in [&kept, &erased] {
        move_grievance(&app, &supervisor, id, json!({"action": "accept"})).await;
        move_grievance(
            &app,
            &supervisor,
            id,
            json!({"action": "assign", "assignee_id": first.id}),
        )
        .await;
    }
    let (_, vol_cursor) = drain_at_least(&app, &volunteer, None, 100, 4).await;
    let (changes, first_cursor) = drain_at_least(&app, &first, None, 100, 3).await;
    let mut first_holds = HashMap::new();
    apply(&mut first_holds, &changes);
    assert_eq!(
        ids_of(&first_holds, "grievance"),
        HashSet::from([kept.clone(), erased.clone()])
    );
    let (_, second_cursor) = drain_at_least(&app, &second, None, 100, 1).await;

    // Reassigned away from the first official: gone from its phone, on the second's.
    move_grievance(
        &app,
        &supervisor,
        &kept,
        json!({"action": "assign", "assignee_id": second.id}),
    )
    .await;
    let (changes, first_cursor) = drain_at_least(&app, &first, Some(first_cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["op"], "remove");
    assert_eq!(changes[0]["kind"], "grievance");
    assert_eq!(changes[0]["id"], kept.as_str());
    let (changes, second_cursor) = drain_at_least(&app, &second, Some(second_cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["op"], "upsert");
    assert_eq!(changes[0]["data"]["assignee_id"], second.id.as_str());

    // Erased under PDPA: gone from the reporter's phone and the assignee's.
    let response = app
        .send_as(
            &admin,
            Method::POST,
            "/api/v1/privacy/erasure",
            &json!({"national_id": nid}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (changes, _) = drain_at_least(&app, &first, Some(first_cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (changes[0]["op"].as_str(), changes[0]["id"].as_str()),
        (Some("remove"), Some(erased.as_str()))
    );
    assert!(changes[0]["data"].is_null());
    let (changes, vol_cursor) = drain_at_least(&app, &volunteer, Some(vol_cursor), 100, 2).await;
    // The reporter also heard of the reassignment of the other grievance, as an upsert.
    let removed: Vec<&Value> = changes.iter().filter(|c| c["op"] == "remove").collect();
    assert_eq!(removed.len(), 1, "{changes:?}");
    assert_eq!(removed[0]["id"], erased.as_str());
    // The second official never held it: nothing to remove.
    let (changes, _) = drain(&app, &second, Some(second_cursor), 100).await;
    assert!(changes.is_empty(), "{changes:?}");

    // The volunteer moved to another province: its visit and grievance stay behind with
    // the staff of its old area, its account comes with its new area.
    let response = app
        .send_as(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{}", volunteer.id),
            &json!({"area_code": "10"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    // The move ended its sessions; its cursor outlives them.
    let volunteer = app.login("vol", crate::helpers::PASSWORD).await;
    let (changes, _) = drain_at_least(&app, &volunteer, Some(vol_cursor), 100, 4).await;
    let mut ops: Vec<(String, String, String)> = changes
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["op"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    ops.sort();
    let mut expected = vec![
        (
            "account".to_owned(),
            "upsert".to_owned(),
            volunteer.id.clone(),
        ),
        ("grievance".to_owned(), "remove".to_owned(), kept.clone()),
        ("grievance".to_owned(), "remove".to_owned(), erased.clone()),
        ("visit".to_owned(), "remove".to_owned(), visit.clone()),
    ];
    expected.sort();
    assert_eq!(ops, expected);
    let account = changes.iter().find(|c| c["kind"] == "account").unwrap();
    assert_eq!(account["data"]["area_code"], "10");
}

#[tokio::test]
async fn unusable_cursors_are_gone_and_bad_limits_are_named() {
    let app = spawn_app_with(|config| config.sync_retention = Duration::from_secs(1)).await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let other = app.user("other", Role::Volunteer, "5001").await;
    let body = page(&app, &volunteer, None, 100).await;
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();

    let mut forged = cursor.clone().into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let truncated = &cursor[..cursor.len() - 4];
    for bad in [forged.as_str(), truncated, "not-a-cursor", "%25%25"] {
        let response = app
            .as_user(&volunteer, Method::GET, "/api/v1/sync/changes")
            .query(&[("cursor", bad)])
            .send()
            .await
            .unwrap();
        assert_problem(response, 410, "cursor_expired").await;
    }
    // Another account's cursor, in Thai.
    let response = app
        .as_user(&other, Method::GET, "/api/v1/sync/changes")
        .query(&[("cursor", cursor.as_str())])
        .header("Accept-Language", "th")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 410, "cursor_expired").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("cursor นี้"),
        "{problem}"
    );

    // Older than the retention (a second here): gone.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let response = app
        .as_user(&volunteer, Method::GET, "/api/v1/sync/changes")
        .query(&[("cursor", cursor.as_str())])
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 410, "cursor_expired").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("older"),
        "{problem}"
    );

    for (query, field, code) in [
        ("limit=0", "limit", "out_of_range"),
        ("limit=501", "limit", "out_of_range"),
        ("limit=many", "limit", "wrong_type"),
        ("since=2026-12-01", "since", "unknown_field"),
    ] {
        let response = app
            .as_user(
                &volunteer,
                Method::GET,
                &format!("/api/v1/sync/changes?{query}"),
            )
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let (status, body) = app.get_as(&volunteer, "/api/v1/sync/changes").await;
    assert_eq!(status, 200);
    assert_eq!(body["changes"].as_array().unwrap().len(), 1, "the account");
    let response = app.get("/api/v1/sync/changes").await;
    assert_problem(response, 401, "unauthenticated").await;
}

/// On PostgreSQL a transaction that took an earlier position can commit after one that
/// took a later one. Ordered by that number alone, a reader would take the later change,
/// move its cursor past the earlier one, and never see it. The feed holds back instead.
#[tokio::test]
async fn a_reader_never_steps_past_a_change_still_being_written() {
    if engine() != "postgres" {
        // SQLite has one writer at a time: a transaction left open would hold every
        // other write back, so the situation cannot arise there.
        return;
    }
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let early = new_id();
    crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&early)).await;
    let early_in_sql = early.clone();
    let (_, cursor) = drain_at_least(&app, &volunteer, None, 100, 2).await;

    // Transaction A changes the first visit and stays open: it holds the earlier position.
    let url = match &app.services.config.database {
        fieldweek::config::DatabaseTarget::Postgres { url } => url.clone(),
        _ => unreachable!(),
    };
    let late = new_id();
    let (hold, held) = std::sync::mpsc::channel::<()>();
    let (opened, is_open) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        conn.batch_execute(&format!(
            "BEGIN; UPDATE visits SET summary = 'เปลี่ยนในธุรกรรมที่ค้างอยู่' WHERE id = '{early_in_sql}';"
        ))
        .unwrap();
        opened.send(()).unwrap();
        held.recv().unwrap();
        conn.batch_execute("COMMIT;").unwrap();
    });
    is_open.recv().unwrap();
    // Transaction B files another visit and commits first, with a later number.
    crate::visits::file_ok(&app, &volunteer, &crate::visits::visit(&late)).await;
    let body = page(&app, &volunteer, Some(&cursor), 100).await;
    assert_eq!(
        body["changes"],
        json!([]),
        "nothing may be taken past a transaction still open"
    );
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();

    hold.send(()).unwrap();
    writer.join().unwrap();
    let (changes, _) = drain_at_least(&app, &volunteer, Some(cursor), 100, 2).await;
    let mut held_now = HashMap::new();
    apply(&mut held_now, &changes);
    assert_eq!(
        ids_of(&held_now, "visit"),
        HashSet::from([early.clone(), late])
    );
    assert_eq!(
        held_now[&("visit".to_owned(), early)]["summary"],
        "เปลี่ยนในธุรกรรมที่ค้างอยู่"
    );
}

/// Writers file visits and move grievances at once (on PostgreSQL, in two server
/// processes, in concurrent transactions) while a reader pages the feed without pause.
/// When the writers stop and the reader has caught up, it holds exactly the final state:
/// every visit, every grievance assigned to it in its last version, none assigned away.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_never_make_a_reader_skip_a_change() {
    let app = spawn_app().await;
    let reader = app.user("off.reader", Role::Official, "5001").await;
    let rival = app.user("off.rival", Role::Official, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let node = crate::nodes::start_node(&app);
    let addresses = [app.address.clone(), node.url.clone()];

    let mut grievances = Vec::new();
    for _ in 0..8 {
        let id = file_grievance(&app, &volunteer, &national_id("110370207118")).await;
        move_grievance(&app, &supervisor, &id, json!({"action": "accept"})).await;
        grievances.push(id);
    }

    let client = reqwest::Client::new();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    // Visit writers: the reader files visits from four phones, half through each node.
    for writer in 0..4 {
        let (client, address, token) = (
            client.clone(),
            addresses[writer % 2].clone(),
            reader.token.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut filed = Vec::new();
            for _ in 0..12 {
                let batch: Vec<Value> = (0..4)
                    .map(|_| crate::visits::visit(&uuid::Uuid::new_v4().to_string()))
                    .collect();
                let response = client
                    .post(format!("{address}/api/v1/visits/batch"))
                    .bearer_auth(&token)
                    .json(&json!({"visits": batch}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                for result in body["results"].as_array().unwrap() {
                    assert_eq!(result["status"], 201, "{result}");
                    filed.push(result["id"].as_str().unwrap().to_owned());
                }
            }
            filed
        }));
    }
    // Grievance movers: the supervisor assigns each grievance back and forth between the
    // reader and its rival, through both nodes.
    let mut movers = Vec::new();
    for mover in 0..2 {
        let (client, address, token) = (
            client.clone(),
            addresses[mover % 2].clone(),
            supervisor.token.clone(),
        );
        let (ids, to) = (grievances.clone(), [reader.id.clone(), rival.id.clone()]);
        movers.push(tokio::spawn(async move {
            for round in 0..4 {
                for (n, id) in ids.iter().enumerate() {
                    let assignee = &to[(round + n + mover) % 2];
                    let response = client
                        .post(format!("{address}/api/v1/grievances/{id}/transitions"))
                        .bearer_auth(&token)
                        .json(&json!({"action": "assign", "assignee_id": assignee}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                }
            }
        }));
    }
    // The reader pages without pause, through both nodes, applying what it gets.
    let reading = {
        let (client, addresses, token, done) = (
            client.clone(),
            addresses.clone(),
            reader.token.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut held = HashMap::new();
            let mut cursor: Option<String> = None;
            let mut reads = 0usize;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let mut request = client
                    .get(format!("{}/api/v1/sync/changes", addresses[reads % 2]))
                    .bearer_auth(&token)
                    .query(&[("limit", "7")]);
                if let Some(cursor) = &cursor {
                    request = request.query(&[("cursor", cursor)]);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                apply(&mut held, body["changes"].as_array().unwrap());
                cursor = Some(body["next_cursor"].as_str().unwrap().to_owned());
                reads += 1;
            }
            (held, cursor, reads)
        })
    };

    let mut filed = HashSet::new();
    for writer in writers {
        filed.extend(writer.await.unwrap());
    }
    for mover in movers {
        mover.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut held, cursor, reads) = reading.await.unwrap();
    assert!(reads > 1, "the reader read while the writers wrote");

    // The final state, as GET tells it.
    let mut mine = HashMap::new();
    for id in &grievances {
        let (_, view) = app
            .get_as(&supervisor, &format!("/api/v1/grievances/{id}"))
            .await;
        if view["assignee_id"] == reader.id.as_str() {
            mine.insert(id.clone(), view["version"].clone());
        }
    }
    // Catch up: a transaction of another test on the same PostgreSQL server may hold the
    // feed back for a moment, never for good.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut cursor = cursor;
    loop {
        let (changes, next) = drain(&app, &reader, cursor.clone(), 50).await;
        apply(&mut held, &changes);
        cursor = Some(next);
        let visits = ids_of(&held, "visit");
        let held_grievances: HashMap<String, Value> = held
            .iter()
            .filter(|((kind, _), _)| kind == "grievance")
            .map(|((_, id), data)| (id.clone(), data["version"].clone()))
            .collect();
        if visits == filed && held_grievances == mine {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reader lacks {} visits; holds grievances {held_grievances:?}, should {mine:?}",
            filed.difference(&visits).count()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(filed.len(), 4 * 12 * 4);
}

#[tokio::test]
async fn a_parents_outcome_and_a_grievances_photo_reach_the_phones_concerned() {
    let app = spawn_app().await;
    let first = app.user("vol", Role::Volunteer, "5001").await;
    let second = app.user("vol2", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let official = app.user("off", Role::Official, "5001").await;
    let parent = file_grievance(&app, &first, &national_id("110370207118")).await;
    let child = file_grievance(&app, &second, &national_id("310010012345")).await;
    move_grievance(&app, &supervisor, &parent, json!({"action": "accept"})).await;
    move_grievance(
        &app,
        &supervisor,
        &child,
        json!({"action": "mark_duplicate", "duplicate_of": parent}),
    )
    .await;
    // Each phone is up to date: its grievance and its account.
    let (_, first_cursor) = drain_at_least(&app, &first, None, 100, 2).await;
    let (_, second_cursor) = drain_at_least(&app, &second, None, 100, 2).await;

    // The parent is resolved: the duplicate's reporter hears it through its own record,
    // which it did not change and which still says `duplicate`.
    move_grievance(
        &app,
        &supervisor,
        &parent,
        json!({"action": "assign", "assignee_id": official.id}),
    )
    .await;
    move_grievance(&app, &official, &parent, json!({"action": "start"})).await;
    move_grievance(
        &app,
        &official,
        &parent,
        json!({"action": "resolve", "note": "ได้ผู้ดูแลแล้ว"}),
    )
    .await;
    let (changes, _) = drain_at_least(&app, &second, Some(second_cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["op"], "upsert");
    assert_eq!(changes[0]["id"], child.as_str());
    assert_eq!(changes[0]["data"]["status"], "duplicate");
    assert_eq!(changes[0]["data"]["parent_status"], "resolved");

    // A photo of the parent, sent by its reporter, comes back to that phone with the
    // grievance that now lists it.
    let (changes, cursor) = drain_at_least(&app, &first, Some(first_cursor), 100, 1).await;
    assert_eq!(changes.last().unwrap()["data"]["status"], "resolved");
    let response = app
        .as_user(
            &first,
            Method::POST,
            &format!("/api/v1/grievances/{parent}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(crate::visits::jpeg(7, 2_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (changes, _) = drain_at_least(&app, &first, Some(cursor), 100, 1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["id"], parent.as_str());
    assert_eq!(changes[0]["data"]["photos_received"], 1);
    assert_eq!(changes[0]["data"]["photos"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_villages_register_travels_on_its_field_workers_phones_and_leaves_with_a_move() {
    let app = spawn_app().await;
    let reader = app.user("vol.reader", Role::Volunteer, "5001").await;
    let registrar = app.user("vol.registrar", Role::Volunteer, "5001").await;
    let far = app.user("vol.far", Role::Volunteer, "57").await;
    let province = app.user("sup.province", Role::Supervisor, "50").await;
    let household = json!({
        "location": {"lat": 18.7883, "lon": 98.9853},
        "consent": true,
        "members": [{"name": "นางบุญมา ใจดี", "phone": "081-234-5678",
                     "target_groups": ["elderly"]}],
    });
    let response = app
        .send_as(&registrar, Method::POST, "/api/v1/households", &household)
        .await;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A phone of the district holds the household another volunteer registered, as
    // `GET` shows it (numbers masked).
    let (changes, cursor) = drain_at_least(&app, &reader, None, 50, 2).await;
    let mut held = HashMap::new();
    apply(&mut held, &changes);
    assert_eq!(ids_of(&held, "household"), HashSet::from([id.clone()]));
    let document = &held[&("household".to_owned(), id.clone())];
    assert_eq!(document["members"][0]["phone"], "******5678");
    assert_eq!(document["version"], 1);

    // A change reaches it once, in its latest state.
    let changed = app
        .as_user(
            &registrar,
            Method::PATCH,
            &format!("/api/v1/households/{id}"),
        )
        .json(&json!({"address": "12 หมู่ 3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let (changes, cursor) = drain_at_least(&app, &reader, Some(cursor), 50, 1).await;
    let households: Vec<&Value> = changes
        .iter()
        .filter(|c| c["kind"] == "household")
        .collect();
    assert_eq!(households.len(), 1, "{changes:?}");
    assert_eq!(households[0]["data"]["version"], 2);
    assert_eq!(households[0]["data"]["address"], "12 หมู่ 3");
    apply(&mut held, &changes);

    // The family moves to San Sai: it leaves the phones of Mueang (a removal) and
    // reaches San Sai's; moved back, it returns, and leaves San Sai's again.
    let san_sai = app.user("vol.sansai", Role::Volunteer, "5014").await;
    let (_, san_sai_cursor) = drain(&app, &san_sai, None, 50).await;
    let move_to = |lat: f64, lon: f64| {
        let app = &app;
        let province = province.clone();
        let path = format!("/api/v1/households/{id}");
        async move {
            let response = app
                .as_user(&province, Method::PATCH, &path)
                .json(&json!({"location": {"lat": lat, "lon": lon}}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["area_code"].clone()
        }
    };
    assert_eq!(move_to(18.8, 99.05).await, "501403");
    let household = ("household".to_owned(), id.clone());
    let (changes, cursor) = drain_at_least(&app, &reader, Some(cursor), 50, 1).await;
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "household" && c["op"] == "remove" && c["id"] == id.as_str()),
        "{changes:?}"
    );
    apply(&mut held, &changes);
    assert!(!held.contains_key(&household));
    let (changes, san_sai_cursor) =
        drain_at_least(&app, &san_sai, Some(san_sai_cursor), 50, 1).await;
    let mut san_sai_held = HashMap::new();
    apply(&mut san_sai_held, &changes);
    assert_eq!(san_sai_held[&household]["area_code"], "501403");

    assert_eq!(move_to(18.7883, 98.9853).await, "500102");
    let (changes, _) = drain_at_least(&app, &reader, Some(cursor), 50, 1).await;
    apply(&mut held, &changes);
    assert_eq!(held[&household]["area_code"], "500102", "{changes:?}");
    let (changes, _) = drain_at_least(&app, &san_sai, Some(san_sai_cursor), 50, 1).await;
    apply(&mut san_sai_held, &changes);
    assert!(!san_sai_held.contains_key(&household), "{changes:?}");

    // Another province's phone, and a province-wide supervisor's, carry no register.
    for user in [&far, &province] {
        let (changes, _) = drain(&app, user, None, 50).await;
        assert!(
            changes.iter().all(|c| c["kind"] != "household"),
            "{changes:?}"
        );
    }
}
