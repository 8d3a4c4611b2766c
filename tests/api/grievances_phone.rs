//! Grievances from the phone: batches from offline sync, comments that are safe to
//! resend, duplicates and what their reporters learn of the parent, and deadlines that
//! count from when the complainant spoke.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use diesel::prelude::*;
use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::grievances::grievance;
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp, TestUser};

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .to_utc()
}

fn count_grievances(app: &TestApp) -> i64 {
    use fieldweek::db::schema::grievances;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    grievances::table.count().get_result(&mut *conn).unwrap()
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

async fn batch(app: &TestApp, user: &TestUser, items: &[Value]) -> Vec<Value> {
    let response = app
        .send_as(
            user,
            Method::POST,
            "/api/v1/grievances/batch",
            &json!({ "grievances": items }),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

fn statuses(results: &[Value]) -> Vec<u64> {
    results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

async fn transition(app: &TestApp, user: &TestUser, id: &str, body: Value) -> reqwest::Response {
    app.send_as(
        user,
        Method::POST,
        &format!("/api/v1/grievances/{id}/transitions"),
        &body,
    )
    .await
}

async fn transition_ok(app: &TestApp, user: &TestUser, id: &str, body: Value) -> Value {
    let response = transition(app, user, id, body.clone()).await;
    let status = response.status();
    let view: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body} -> {view}");
    view
}

async fn read(app: &TestApp, user: &TestUser, id: &str) -> Value {
    let (status, view) = app.get_as(user, &format!("/api/v1/grievances/{id}")).await;
    assert_eq!(status, 200, "{view}");
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

/// A grievance in Bangkok, outside the Chiang Mai team's area.
fn in_bangkok(id: &str) -> Value {
    let mut body = grievance(id);
    body["location"] = json!({"lat": 13.7563, "lon": 100.5018, "accuracy_m": 10.0});
    body
}

#[tokio::test]
async fn a_grievance_batch_answers_each_item_and_can_be_sent_again() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let stored_id = new_id();
    let stored = grievance(&stored_id);
    file(&app, &team.volunteer, &stored).await;
    let mut conflicting = stored.clone();
    conflicting["priority"] = json!("urgent");
    let mut future = grievance(&new_id());
    future["reported_at"] = json!((Utc::now() + Duration::hours(2)).to_rfc3339());
    let mut wrong_type = grievance(&new_id());
    wrong_type["priority"] = json!(3);
    let mut unknown_visit = grievance(&new_id());
    unknown_visit["visit_id"] = json!(new_id());
    let fresh = [new_id(), new_id()];
    let items = [
        grievance(&fresh[0]),
        stored,
        conflicting,
        future,
        wrong_type,
        in_bangkok(&new_id()),
        grievance(&fresh[1]),
        json!("not an object"),
        unknown_visit,
    ];
    let before = count_grievances(&app);

    let results = batch(&app, &team.volunteer, &items).await;
    assert_eq!(
        statuses(&results),
        [201, 200, 409, 422, 422, 422, 201, 422, 422]
    );
    assert_eq!(results[0]["id"], fresh[0].as_str());
    assert_eq!(results[0]["grievance"]["id"], fresh[0].as_str());
    assert_eq!(results[0]["grievance"]["status"], "submitted");
    // The reporter reads back what it sent.
    assert_eq!(
        results[0]["grievance"]["complainant"]["phone"],
        "+66812345678"
    );
    assert_eq!(results[1]["grievance"]["id"], stored_id.as_str());
    assert_eq!(results[2]["problem"]["code"], "id_conflict");
    assert_eq!(results[2]["problem"]["status"], 409);
    let error = |i: usize| results[i]["problem"]["errors"][0].clone();
    assert_eq!(
        (error(3)["field"].clone(), error(3)["code"].clone()),
        (json!("reported_at"), json!("in_future"))
    );
    assert_eq!(
        (error(4)["field"].clone(), error(4)["code"].clone()),
        (json!("priority"), json!("wrong_type"))
    );
    assert_eq!(
        (error(5)["field"].clone(), error(5)["code"].clone()),
        (json!("area_code"), json!("outside_area")),
        "a grievance outside the volunteer's area is refused on its own"
    );
    assert_eq!(results[7]["status"], 422);
    assert_eq!(
        (error(8)["field"].clone(), error(8)["code"].clone()),
        (json!("visit_id"), json!("not_found_reference"))
    );
    assert!(results[3]["grievance"].is_null() && results[3]["id"].is_string());
    assert_eq!(count_grievances(&app), before + 2);

    // The phone never got the answer and sends it all again: nothing new, the same ids.
    let again = batch(&app, &team.volunteer, &items).await;
    assert_eq!(
        statuses(&again),
        [200, 200, 409, 422, 422, 422, 200, 422, 422]
    );
    for i in [0, 1, 6] {
        assert_eq!(again[i]["grievance"], results[i]["grievance"], "item {i}");
    }
    assert_eq!(count_grievances(&app), before + 2);

    // Someone else's id in a batch is a conflict, never their grievance.
    let results = batch(&app, &team.official, &[grievance(&fresh[0])]).await;
    assert_eq!(statuses(&results), [409]);
    assert!(results[0]["grievance"].is_null());

    // A new id twice in one batch is filed once.
    let twice = grievance(&new_id());
    let results = batch(&app, &team.volunteer, &[twice.clone(), twice]).await;
    assert_eq!(statuses(&results), [201, 200]);
    assert_eq!(count_grievances(&app), before + 3);

    let too_many: Vec<Value> = (0..101).map(|_| grievance(&new_id())).collect();
    let response = app
        .send_as(
            &team.volunteer,
            Method::POST,
            "/api/v1/grievances/batch",
            &json!({ "grievances": too_many }),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "grievances");
    assert_eq!(problem["errors"][0]["code"], "too_many");
    assert_eq!(count_grievances(&app), before + 3);
    let hundred: Vec<Value> = (0..100).map(|_| grievance(&new_id())).collect();
    let results = batch(&app, &team.volunteer, &hundred).await;
    assert!(statuses(&results).iter().all(|s| *s == 201));
    assert_eq!(count_grievances(&app), before + 103);
}

#[tokio::test]
async fn a_comment_with_a_client_id_is_stored_once() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let grievance_id = new_id();
    file(&app, &team.volunteer, &grievance(&grievance_id)).await;
    let other_grievance = new_id();
    file(&app, &team.volunteer, &grievance(&other_grievance)).await;
    let path = format!("/api/v1/grievances/{grievance_id}/comments");
    let comment_id = new_id();
    let body = json!({"id": comment_id, "body": "ญาติรับปากจะมาดูแลช่วงกลางวัน"});

    let first = app
        .send_as(&team.volunteer, Method::POST, &path, &body)
        .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["id"], comment_id.as_str());
    let again = app
        .send_as(&team.volunteer, Method::POST, &path, &body)
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    // The same id in another spelling is the same comment.
    let mut upper = body.clone();
    upper["id"] = json!(comment_id.to_uppercase());
    let response = app
        .send_as(&team.volunteer, Method::POST, &path, &upper)
        .await;
    assert_eq!(response.status(), 200);

    let mut changed = body.clone();
    changed["body"] = json!("ข้อความอื่น");
    for (who, path, body) in [
        (&team.volunteer, path.clone(), changed),
        (
            &team.volunteer,
            format!("/api/v1/grievances/{other_grievance}/comments"),
            body.clone(),
        ),
        (&team.supervisor, path.clone(), body.clone()),
    ] {
        let response = app.send_as(who, Method::POST, &path, &body).await;
        assert_problem(response, 409, "id_conflict").await;
    }
    let response = app
        .send_as(
            &team.volunteer,
            Method::POST,
            &path,
            &json!({"id": "comment-1", "body": "x"}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "id");
    // Without an id, as before: each one is new.
    for _ in 0..2 {
        let response = app
            .send_as(&team.volunteer, Method::POST, &path, &json!({"body": "x"}))
            .await;
        assert_eq!(response.status(), 201);
    }

    // A resend racing the first copy still stores one comment.
    let racing_id = new_id();
    let racing = json!({"id": racing_id, "body": "ส่งซ้ำพร้อมกัน"});
    let sends = (0..8).map(|_| {
        app.as_user(&team.volunteer, Method::POST, &path)
            .json(&racing)
            .send()
    });
    let mut codes: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|response| response.unwrap().status().as_u16())
        .collect();
    codes.sort();
    assert_eq!(codes, [200, 200, 200, 200, 200, 200, 200, 201]);
    let view = read(&app, &team.volunteer, &grievance_id).await;
    let ids: Vec<&str> = view["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert_eq!(ids.iter().filter(|id| **id == racing_id).count(), 1);
    assert_eq!(ids.iter().filter(|id| **id == comment_id).count(), 1);
}

#[tokio::test]
async fn a_duplicate_follows_its_parent_until_reopened() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let parent = new_id();
    let child = new_id();
    file(&app, &team.volunteer, &grievance(&parent)).await;
    let other = app.user("vol2", Role::Volunteer, "5001").await;
    // Urgent and heard two days ago: overdue until it is marked.
    let mut late = grievance(&child);
    late["priority"] = json!("urgent");
    late["reported_at"] = json!((Utc::now() - Duration::days(2)).to_rfc3339());
    assert_eq!(file(&app, &other, &late).await["overdue"], true);
    transition_ok(&app, &team.supervisor, &parent, json!({"action": "accept"})).await;
    let before_marking = read(&app, &other, &child).await;
    assert_eq!(before_marking["duplicate_of"], Value::Null);
    assert_eq!(before_marking["parent_status"], Value::Null);

    // Neither the reporter nor an official may mark one.
    for who in [&other, &team.official] {
        let response = transition(
            &app,
            who,
            &child,
            json!({"action": "mark_duplicate", "duplicate_of": parent}),
        )
        .await;
        assert_problem(response, 403, "forbidden").await;
    }
    let marked = transition_ok(
        &app,
        &team.supervisor,
        &child,
        json!({"action": "mark_duplicate", "duplicate_of": parent.to_uppercase(), "note": "same household"}),
    )
    .await;
    assert_eq!(marked["status"], "duplicate");
    assert_eq!(marked["duplicate_of"], parent.as_str());
    assert_eq!(marked["parent_status"], "accepted");
    assert_eq!(marked["overdue"], false);
    let event = marked["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            event["action"].clone(),
            event["from"].clone(),
            event["to"].clone()
        ),
        (
            json!("mark_duplicate"),
            json!("submitted"),
            json!("duplicate")
        )
    );
    let parent_view = read(&app, &team.supervisor, &parent).await;
    assert_eq!(parent_view["duplicates"], json!([child]));
    assert_eq!(parent_view["duplicate_of"], Value::Null);
    // The parent's reporter may not see the child: its list does not name it.
    assert_eq!(
        read(&app, &team.volunteer, &parent).await["duplicates"],
        json!([])
    );
    // A duplicate is closed for work: no longer among the open ones.
    let (_, open) = app
        .get_as(
            &team.supervisor,
            "/api/v1/grievances?status=submitted,accepted,assigned,in_progress,referred",
        )
        .await;
    let open: Vec<&str> = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(open, [parent.as_str()]);
    let (_, overdue) = app
        .get_as(&team.supervisor, "/api/v1/grievances?overdue=true")
        .await;
    assert_eq!(overdue["items"], json!([]));
    let (status, report) = app
        .get_as(&team.supervisor, "/api/v1/reports/weekly?area=5001")
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["grievances"]["new"], 2);
    assert_eq!(report["grievances"]["open_at_end"], 1, "{report}");
    assert_eq!(report["grievances"]["overdue"], 0, "{report}");
    let (_, labels) = app.get_json("/api/v1/meta/labels").await;
    for (vocabulary, code) in [("status", "duplicate"), ("action", "mark_duplicate")] {
        let label = labels[vocabulary]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap_or_else(|| panic!("{vocabulary} {code}"));
        assert!(
            label["th"].is_string() && label["en"].is_string(),
            "{label}"
        );
    }

    // The parent is resolved, then closed: the duplicate's reporter sees each outcome,
    // and the duplicate counts as changed for its pull.
    transition_ok(
        &app,
        &team.supervisor,
        &parent,
        json!({"action": "assign", "assignee_id": team.official.id}),
    )
    .await;
    transition_ok(&app, &team.official, &parent, json!({"action": "start"})).await;
    let checkpoint = Utc::now().to_rfc3339().replace('+', "%2B");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    transition_ok(
        &app,
        &team.official,
        &parent,
        json!({"action": "resolve", "note": "ได้ผู้ดูแลแล้ว"}),
    )
    .await;
    let seen = read(&app, &other, &child).await;
    assert_eq!(seen["status"], "duplicate");
    assert_eq!(seen["parent_status"], "resolved");
    assert_eq!(
        seen["version"], marked["version"],
        "its own state is unchanged"
    );
    let (status, changed) = app
        .get_as(
            &other,
            &format!("/api/v1/grievances?updated_since={checkpoint}"),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["items"][0]["id"], child.as_str());
    assert_eq!(changed["items"][0]["parent_status"], "resolved");
    transition_ok(&app, &team.supervisor, &parent, json!({"action": "close"})).await;
    assert_eq!(read(&app, &other, &child).await["parent_status"], "closed");

    // Reopened, the duplicate stands on its own again.
    let response = transition(&app, &team.supervisor, &child, json!({"action": "reopen"})).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "note");
    let reopened = transition_ok(
        &app,
        &team.supervisor,
        &child,
        json!({"action": "reopen", "note": "another household after all"}),
    )
    .await;
    assert_eq!(reopened["status"], "accepted");
    assert_eq!(reopened["duplicate_of"], Value::Null);
    assert_eq!(reopened["parent_status"], Value::Null);
    assert_eq!(reopened["reopen_count"], 1);
    assert_eq!(
        read(&app, &team.supervisor, &parent).await["duplicates"],
        json!([])
    );
    // And may be marked again, by an admin too.
    let admin = app.admin().await;
    let again = transition_ok(
        &app,
        &admin,
        &child,
        json!({"action": "mark_duplicate", "duplicate_of": parent}),
    )
    .await;
    assert_eq!(again["parent_status"], "closed");
}

#[tokio::test]
async fn marking_a_duplicate_refuses_what_cannot_be_a_parent() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let [a, b, c, d] = [new_id(), new_id(), new_id(), new_id()];
    for id in [&a, &b, &c, &d] {
        file(&app, &team.volunteer, &grievance(id)).await;
    }
    // Out of the supervisor's province: it must look exactly like no grievance at all.
    let bangkok = app.user("bkk", Role::Volunteer, "10").await;
    let elsewhere = new_id();
    file(&app, &bangkok, &in_bangkok(&elsewhere)).await;

    let refused = |body: Value, id: String| {
        let app = &app;
        let supervisor = team.supervisor.clone();
        async move {
            let response = transition(app, &supervisor, &id, body).await;
            let problem = assert_problem(response, 422, "validation_failed").await;
            assert_eq!(problem["errors"][0]["field"], "duplicate_of", "{problem}");
            (
                problem["errors"][0]["code"].as_str().unwrap().to_owned(),
                problem["errors"][0]["message"].as_str().unwrap().to_owned(),
            )
        }
    };
    let mark = |parent: &str| json!({"action": "mark_duplicate", "duplicate_of": parent});
    assert_eq!(
        refused(json!({"action": "mark_duplicate"}), a.clone())
            .await
            .0,
        "required"
    );
    assert_eq!(refused(mark(&a), a.clone()).await.0, "self_reference");
    assert_eq!(
        refused(mark("grievance 7"), a.clone()).await.0,
        "bad_format"
    );
    let missing = refused(mark(&new_id()), a.clone()).await;
    let hidden = refused(mark(&elsewhere), a.clone()).await;
    assert_eq!(missing.0, "not_found_reference");
    assert_eq!(hidden, missing, "out of scope answers as not found");

    // b duplicates a; then nothing may point at b, and a (a parent) may not become a
    // duplicate itself.
    transition_ok(&app, &team.supervisor, &b, mark(&a)).await;
    assert_eq!(refused(mark(&b), c.clone()).await.0, "duplicate_chain");
    assert_eq!(refused(mark(&c), a.clone()).await.0, "duplicate_chain");

    // Only from submitted, accepted or assigned.
    transition_ok(&app, &team.supervisor, &d, json!({"action": "accept"})).await;
    transition_ok(
        &app,
        &team.supervisor,
        &d,
        json!({"action": "assign", "assignee_id": team.official.id}),
    )
    .await;
    transition_ok(&app, &team.official, &d, json!({"action": "start"})).await;
    let response = transition(&app, &team.supervisor, &d, mark(&a)).await;
    let problem = assert_problem(response, 409, "invalid_transition").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("mark_duplicate"),
        "{problem}"
    );
    let response = transition(&app, &team.supervisor, &b, mark(&c)).await;
    assert_problem(response, 409, "invalid_transition").await;
    // Nothing refused changed anything.
    for id in [&a, &c] {
        let view = read(&app, &team.supervisor, id).await;
        assert_eq!(view["status"], "submitted", "{id}");
        assert_eq!(view["duplicate_of"], Value::Null);
    }
    assert_eq!(
        read(&app, &team.supervisor, &a).await["duplicates"],
        json!([b])
    );

    // Two grievances marked as each other's duplicate at once: one wins, the other is
    // refused, never a loop.
    let [e, f] = [new_id(), new_id()];
    for id in [&e, &f] {
        file(&app, &team.volunteer, &grievance(id)).await;
    }
    for _ in 0..3 {
        let (one, other) = tokio::join!(
            transition(&app, &team.supervisor, &e, mark(&f)),
            transition(&app, &team.supervisor, &f, mark(&e)),
        );
        let mut codes = [one.status().as_u16(), other.status().as_u16()];
        codes.sort();
        assert_eq!(codes, [200, 422]);
        let (e_view, f_view) = (
            read(&app, &team.supervisor, &e).await,
            read(&app, &team.supervisor, &f).await,
        );
        let marked = [&e_view, &f_view]
            .iter()
            .filter(|v| v["status"] == "duplicate")
            .count();
        assert_eq!(marked, 1);
        // Undo, for another round.
        let duplicate = if e_view["status"] == "duplicate" {
            &e
        } else {
            &f
        };
        transition_ok(
            &app,
            &team.supervisor,
            duplicate,
            json!({"action": "reopen", "note": "again"}),
        )
        .await;
    }
}

#[tokio::test]
async fn the_deadline_counts_from_when_the_complainant_spoke() {
    let app = spawn_app().await;
    let team = team(&app).await;
    // Whole seconds: what is sent comes back exactly.
    let now = Utc::now().trunc_subsecs(0);
    let heard =
        (now - Duration::days(3)).with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let mut early = grievance(&new_id());
    early["reported_at"] = json!(heard.to_rfc3339());
    let early = file(&app, &team.volunteer, &early).await;
    let today = file(&app, &team.volunteer, &grievance(&new_id())).await;

    // High priority: 3 days from when it was heard, not from when it arrived.
    assert_eq!(time(&early["reported_at"]), heard.to_utc());
    assert_eq!(time(&early["due_at"]), heard.to_utc() + Duration::days(3));
    assert_eq!(
        time(&today["due_at"]),
        time(&today["created_at"]) + Duration::days(3)
    );
    assert_eq!(time(&today["reported_at"]), time(&today["created_at"]));
    // Heard three days before the phone synced: due three days sooner (less the moment
    // between the two filings).
    let sooner = time(&today["due_at"]) - time(&early["due_at"]);
    assert!(
        sooner >= Duration::days(3) && sooner < Duration::days(3) + Duration::minutes(5),
        "{sooner}"
    );
    // Urgent and heard two days ago: overdue on arrival.
    let mut urgent = grievance(&new_id());
    urgent["priority"] = json!("urgent");
    urgent["reported_at"] = json!((now - Duration::days(2)).to_rfc3339());
    assert_eq!(file(&app, &team.volunteer, &urgent).await["overdue"], true);

    // The same in a batch.
    let mut batched = grievance(&new_id());
    batched["reported_at"] = json!(heard.to_rfc3339());
    let results = batch(&app, &team.volunteer, &[batched]).await;
    assert_eq!(
        time(&results[0]["grievance"]["due_at"]),
        heard.to_utc() + Duration::days(3)
    );

    for (reported_at, code) in [
        ((now + Duration::hours(1)).to_rfc3339(), "in_future"),
        ((now - Duration::days(61)).to_rfc3339(), "too_old"),
        ("2569-12-03T10:30:00+07:00".to_owned(), "buddhist_era_year"),
    ] {
        let mut body = grievance(&new_id());
        body["reported_at"] = json!(reported_at);
        let response = app
            .send_as(&team.volunteer, Method::POST, "/api/v1/grievances", &body)
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "reported_at", "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
}

#[tokio::test]
async fn batches_and_duplicates_queue_their_webhooks_like_any_filing_and_transition() {
    // Nothing listens there: deliveries stay queued for the test to read.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|config| {
        config.webhook = Some(fieldweek::config::WebhookConfig {
            url: format!("http://127.0.0.1:{port}/hook"),
            secret: "webhook secret for tests".into(),
            poll_interval: std::time::Duration::from_secs(3600),
            retry_base: std::time::Duration::from_secs(3600),
        });
    })
    .await;
    let team = team(&app).await;
    let [parent, child] = [new_id(), new_id()];
    let results = batch(
        &app,
        &team.volunteer,
        &[grievance(&parent), grievance(&child)],
    )
    .await;
    assert_eq!(statuses(&results), [201, 201]);
    // A resent batch announces nothing again.
    batch(
        &app,
        &team.volunteer,
        &[grievance(&parent), grievance(&child)],
    )
    .await;
    transition_ok(
        &app,
        &team.supervisor,
        &child,
        json!({"action": "mark_duplicate", "duplicate_of": parent}),
    )
    .await;

    use fieldweek::db::schema::webhook_outbox;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    let queued: Vec<(String, String)> = webhook_outbox::table
        .order(webhook_outbox::id.asc())
        .select((webhook_outbox::event_type, webhook_outbox::payload))
        .load(&mut *conn)
        .unwrap();
    let events: Vec<(&str, String)> = queued
        .iter()
        .map(|(kind, payload)| {
            let payload: Value = serde_json::from_str(payload).unwrap();
            (
                kind.as_str(),
                payload["grievance"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("grievance.created", parent.clone()),
            ("grievance.created", child.clone()),
            ("grievance.status_changed", child.clone()),
        ]
    );
    let last: Value = serde_json::from_str(&queued[2].1).unwrap();
    assert_eq!(last["grievance"]["status"], "duplicate");
    assert_eq!(last["grievance"]["duplicate_of"], parent.as_str());
}
