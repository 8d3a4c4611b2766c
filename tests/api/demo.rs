//! `fieldweek demo-data`: a small data set generated into a fresh database, then read
//! back through the real API as the demo's supervisors, volunteers and admin.

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};

use diesel::prelude::*;
use fieldweek::demo::{self, DemoOptions, DemoSummary};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestUser};

const STATUSES: [&str; 9] = [
    "submitted",
    "accepted",
    "rejected",
    "assigned",
    "in_progress",
    "referred",
    "resolved",
    "closed",
    "duplicate",
];

fn small(seed: u64) -> DemoOptions {
    DemoOptions {
        seed,
        provinces: 2,
        volunteers_per_province: 5,
        officials_per_province: 2,
        visits: 300,
        grievances: 60,
        ..DemoOptions::default()
    }
}

async fn generate(app: &TestApp, options: DemoOptions) -> anyhow::Result<DemoSummary> {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || {
        demo::generate(
            &services.db,
            &services.geography,
            &services.cipher,
            &options,
        )
    })
    .await
    .expect("generate task")
}

async fn demo_login(app: &TestApp, username: &str) -> TestUser {
    app.login(username, &DemoOptions::default().password).await
}

/// Every item of a list, page after page.
async fn all(app: &TestApp, user: &TestUser, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{separator}limit=100");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get_as(user, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

fn is_thai(text: &str) -> bool {
    text.chars().any(|c| ('\u{0E01}'..='\u{0E5B}').contains(&c))
}

/// Checks one grievance's history against its status and the workflow's rules.
fn assert_consistent_history(grievance: &Value) {
    let status = grievance["status"].as_str().unwrap();
    let history = grievance["history"].as_array().unwrap();
    let context = || format!("{grievance:#}");
    assert_eq!(history[0]["action"], "create", "{}", context());
    assert_eq!(history[0]["from"], Value::Null, "{}", context());
    assert_eq!(history[0]["to"], "submitted", "{}", context());
    assert_eq!(history[0]["actor_id"], grievance["reporter_id"]);
    for pair in history.windows(2) {
        assert_eq!(pair[1]["from"], pair[0]["to"], "{}", context());
        assert!(
            pair[1]["at"].as_str() > pair[0]["at"].as_str(),
            "{}",
            context()
        );
    }
    assert_eq!(history.last().unwrap()["to"], status, "{}", context());
    assert_eq!(grievance["version"], history.len(), "{}", context());
    let reopened = history.iter().filter(|e| e["action"] == "reopen").count();
    assert_eq!(grievance["reopen_count"], reopened, "{}", context());
    let assigned = history.iter().any(|e| e["action"] == "assign");
    assert_eq!(
        !grievance["assignee_id"].is_null(),
        assigned,
        "{}",
        context()
    );
    if status == "referred" {
        assert!(grievance["referred_to"].is_string(), "{}", context());
    }
    let closed = matches!(status, "resolved" | "closed" | "rejected");
    if closed {
        assert_eq!(grievance["overdue"], false, "{}", context());
    }
}

#[tokio::test]
async fn a_demo_data_set_reads_back_through_the_api() {
    let app = spawn_app().await;
    let summary = generate(&app, small(7)).await.expect("demo data");
    assert_eq!(summary.provinces, ["50", "40"]);
    assert_eq!(
        (summary.supervisors, summary.officials, summary.volunteers),
        (2, 4, 10)
    );
    assert!(summary.admin_created);
    assert_eq!((summary.visits, summary.grievances), (300, 60));
    assert!(summary.grievance_events >= 60);

    let admin = demo_login(&app, "demo.admin").await;
    let users = all(&app, &admin, "/api/v1/users").await;
    let areas: HashMap<String, String> = users
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["area_code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Views name people as their accounts do.
    let person: HashMap<String, Value> = users
        .iter()
        .map(|u| {
            let id = u["id"].as_str().unwrap().to_owned();
            let named = json!({"id": id, "display_name": u["display_name"]});
            (id, named)
        })
        .collect();
    let named = |id: &Value| person[id.as_str().unwrap()].clone();
    let volunteer = users
        .iter()
        .find(|u| u["username"] == "demo.vol.50.1")
        .expect("demo.vol.50.1");
    assert_eq!(volunteer["role"], "volunteer");
    assert_eq!(volunteer["area_code"].as_str().unwrap().len(), 6);
    assert!(volunteer["phone"].as_str().unwrap().starts_with("+66"));
    assert!(is_thai(volunteer["display_name"].as_str().unwrap()));

    let mut visits_seen = 0;
    let mut statuses = HashSet::new();
    let mut unmasked_complainants = 0;
    for province in ["50", "40"] {
        let supervisor = demo_login(&app, &format!("demo.sup.{province}")).await;

        let visits = all(&app, &supervisor, "/api/v1/visits").await;
        assert!(!visits.is_empty(), "province {province} has visits");
        visits_seen += visits.len();
        for visit in &visits {
            let area = visit["area_code"].as_str().unwrap();
            assert!(area.starts_with(province) && area.len() == 6, "{visit}");
            assert_eq!(visit["author"], named(&visit["author_id"]), "{visit}");
            let author_area = &areas[visit["author_id"].as_str().unwrap()];
            assert!(area.starts_with(author_area.as_str()), "{visit}");
            assert!(is_thai(visit["summary"].as_str().unwrap()), "{visit}");
            let groups = visit["target_groups"].as_array().unwrap().len();
            assert!((1..=3).contains(&groups), "{visit}");
            assert!((1..=12).contains(&visit["households_visited"].as_i64().unwrap()));
            assert!((1..=40).contains(&visit["people_reached"].as_i64().unwrap()));
            let lat = visit["location"]["lat"].as_f64().unwrap();
            let lon = visit["location"]["lon"].as_f64().unwrap();
            assert!((5.0..21.0).contains(&lat) && (97.0..106.0).contains(&lon));
        }

        let grievances = all(&app, &supervisor, "/api/v1/grievances").await;
        for grievance in &grievances {
            assert!(
                grievance["area_code"]
                    .as_str()
                    .unwrap()
                    .starts_with(province),
                "{grievance}"
            );
            assert!(is_thai(grievance["title"].as_str().unwrap()));
            assert_consistent_history(grievance);
            assert_eq!(grievance["reporter"], named(&grievance["reporter_id"]));
            if grievance["assignee_id"].is_null() {
                assert_eq!(grievance["assignee"], Value::Null);
            } else {
                assert_eq!(grievance["assignee"], named(&grievance["assignee_id"]));
            }
            for event in grievance["history"].as_array().unwrap() {
                let actor = named(&event["actor_id"]);
                assert_eq!(event["actor_name"], actor["display_name"], "{event}");
                assert!(is_thai(event["actor_name"].as_str().unwrap()), "{event}");
            }
            for comment in grievance["comments"].as_array().unwrap() {
                let author = named(&comment["author_id"]);
                assert_eq!(comment["author_name"], author["display_name"]);
            }
            statuses.insert(grievance["status"].as_str().unwrap().to_owned());
        }

        // Lists mask personal data; one grievance read by a supervisor in scope shows
        // it in full, decrypted with the server's key.
        let with_id = grievances.iter().find(|g| {
            g["complainant"]["phone"].is_string() && g["complainant"]["national_id"].is_string()
        });
        if let Some(listed) = with_id {
            assert_eq!(listed["complainant"]["masked"], true);
            let path = format!("/api/v1/grievances/{}", listed["id"].as_str().unwrap());
            let (status, full) = app.get_as(&supervisor, &path).await;
            assert_eq!(status, 200);
            let person = &full["complainant"];
            assert_eq!(person["masked"], false, "{full}");
            assert_eq!(person["consent"], true);
            assert!(is_thai(person["name"].as_str().unwrap()));
            assert!(person["phone"].as_str().unwrap().starts_with("+66"));
            let national_id = person["national_id"].as_str().unwrap();
            assert!(
                fieldweek::domain::ThaiNationalId::parse(national_id).is_ok(),
                "{national_id}"
            );
            unmasked_complainants += 1;
        }

        // The data works with the real workflow: a waiting grievance can be accepted.
        if let Some(waiting) = grievances.iter().find(|g| g["status"] == "submitted") {
            let response = app
                .as_user(
                    &supervisor,
                    Method::POST,
                    &format!(
                        "/api/v1/grievances/{}/transitions",
                        waiting["id"].as_str().unwrap()
                    ),
                )
                .header("If-Match", format!("\"{}\"", waiting["version"]))
                .json(&json!({"action": "accept"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
    assert_eq!(visits_seen, 300, "each visit in exactly one province");
    let expected: HashSet<String> = STATUSES.iter().map(|s| s.to_string()).collect();
    assert_eq!(statuses, expected, "every status of the workflow");
    assert!(
        unmasked_complainants > 0,
        "supervisors see complainants in full"
    );

    // The register: five households a volunteer, with repeat visits and follow-ups
    // that the households' own dates agree with.
    assert_eq!(summary.households, 50);
    assert!(summary.household_members >= summary.households);
    let supervisor = demo_login(&app, "demo.sup.50").await;
    let households = all(&app, &supervisor, "/api/v1/households").await;
    assert_eq!(households.len(), 25, "the five volunteers of Chiang Mai");
    let story_length = |h: &Value| h["visits"].as_array().unwrap().len();
    assert!(
        households.iter().any(|h| story_length(h) >= 2),
        "repeat visits"
    );
    assert!(
        households.iter().any(|h| h["next_visit_due"].is_string()),
        "open follow-ups"
    );
    assert!(households
        .iter()
        .any(|h| !h["grievances"].as_array().unwrap().is_empty()));
    for household in &households {
        assert!(household["area_code"].as_str().unwrap().starts_with("50"));
        match household["visits"].get(0) {
            Some(newest) => {
                assert_eq!(
                    household["last_visit_at"], newest["visited_at"],
                    "{household}"
                );
                let due = if newest["follow_up_needed"] == true {
                    newest["follow_up_by"].clone()
                } else {
                    Value::Null
                };
                assert_eq!(household["next_visit_due"], due, "{household}");
            }
            None => assert!(household["last_visit_at"].is_null()),
        }
        for member in household["members"].as_array().unwrap() {
            if let Some(id) = member["national_id"].as_str() {
                assert!(id.starts_with("*********"), "masked: {member}");
            }
            if household["consent"] == false {
                assert!(member["name"].is_null() && member["phone"].is_null());
            }
        }
    }
    assert!(households
        .iter()
        .any(|h| h["consent"] == true && is_thai(h["members"][0]["name"].as_str().unwrap_or(""))));

    // A volunteer reads its own visits only.
    let volunteer = demo_login(&app, "demo.vol.50.1").await;
    let own = all(&app, &volunteer, "/api/v1/visits").await;
    assert!(own.iter().all(|v| v["author_id"] == volunteer.id.as_str()));
}

fn ids(app: &TestApp) -> (Vec<String>, Vec<String>, Vec<String>) {
    use fieldweek::db::schema::{grievances, users, visits};
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    let visits = visits::table
        .select(visits::id)
        .order(visits::id)
        .load(&mut *conn)
        .unwrap();
    let grievances = grievances::table
        .select(grievances::id)
        .order(grievances::id)
        .load(&mut *conn)
        .unwrap();
    let users = users::table
        .filter(users::username_key.like("demo.%"))
        .select(users::id)
        .order(users::id)
        .load(&mut *conn)
        .unwrap();
    (visits, grievances, users)
}

fn summaries(app: &TestApp) -> Vec<(String, String, String, String)> {
    use fieldweek::db::schema::visits;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    visits::table
        .select((
            visits::id,
            visits::author_id,
            visits::area_code,
            visits::summary,
        ))
        .order(visits::id)
        .load(&mut *conn)
        .unwrap()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let (first, second, other) = tokio::join!(spawn_app(), spawn_app(), spawn_app());
    generate(&first, small(7)).await.unwrap();
    generate(&second, small(7)).await.unwrap();
    generate(&other, small(8)).await.unwrap();
    let (visits, grievances, users) = ids(&first);
    assert_eq!(visits.len(), 300);
    assert_eq!(ids(&second), (visits.clone(), grievances, users));
    assert_eq!(summaries(&first), summaries(&second));
    let (other_visits, _, _) = ids(&other);
    assert!(other_visits.iter().all(|id| !visits.contains(id)));
}

#[tokio::test]
async fn a_database_takes_demo_data_once() {
    let app = spawn_app().await;
    generate(&app, small(7)).await.unwrap();
    let error = generate(&app, small(9)).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("already holds demo data"),
        "{error:#}"
    );
    let (visits, _, _) = ids(&app);
    assert_eq!(visits.len(), 300, "nothing more was written");
}

#[tokio::test]
async fn bad_options_are_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let cases = [
        (
            DemoOptions {
                provinces: 0,
                ..small(1)
            },
            "--provinces",
        ),
        (
            DemoOptions {
                provinces: 78,
                ..small(1)
            },
            "--provinces",
        ),
        (
            DemoOptions {
                weeks: 0,
                ..small(1)
            },
            "--weeks",
        ),
        (
            DemoOptions {
                volunteers_per_province: 0,
                officials_per_province: 0,
                ..small(1)
            },
            "need volunteers or officials",
        ),
        (
            DemoOptions {
                password: "short".into(),
                ..small(1)
            },
            "password",
        ),
    ];
    for (options, expected) in cases {
        let error = generate(&app, options).await.unwrap_err();
        assert!(format!("{error:#}").contains(expected), "{error:#}");
    }
    let (visits, _, users) = ids(&app);
    assert!(visits.is_empty() && users.is_empty());
}

#[tokio::test]
async fn all_77_provinces_and_no_officials_work() {
    let app = spawn_app().await;
    let summary = generate(
        &app,
        DemoOptions {
            provinces: 77,
            volunteers_per_province: 1,
            officials_per_province: 0,
            visits: 400,
            grievances: 100,
            ..small(3)
        },
    )
    .await
    .unwrap();
    assert_eq!(summary.provinces.len(), 77);
    assert_eq!(summary.visits, 400);
    // Bangkok has no subdistrict centroids; its records still stay in Bangkok.
    let supervisor = demo_login(&app, "demo.sup.10").await;
    for visit in all(&app, &supervisor, "/api/v1/visits").await {
        assert!(visit["area_code"].as_str().unwrap().starts_with("10"));
    }
}

#[test]
fn the_command_line_reports_the_logins_and_refuses_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_fieldweek"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "error")
            .args([
                "demo-data",
                "--seed",
                "3",
                "--provinces",
                "1",
                "--volunteers-per-province",
                "3",
                "--officials-per-province",
                "1",
                "--visits",
                "50",
                "--grievances",
                "10",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run fieldweek")
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("50 visits"), "{stdout}");
    assert!(stdout.contains("demo.sup.50"), "{stdout}");
    assert!(stdout.contains("demo password 2026"), "{stdout}");
    // The load is in the database file itself: no log is left to be read at the next
    // start (a million visits would leave one as large as the data).
    assert!(dir.path().join("data/fieldweek.db").exists());
    assert!(!dir.path().join("data/fieldweek.db-wal").exists());

    let second = run();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already holds demo data"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
