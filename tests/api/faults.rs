//! Faults: a server killed mid-stream loses no acknowledged visit and doubles none; a
//! full disk during a photo upload is a clean error that leaves no partial file;
//! PostgreSQL going away answers 503 (also to filings already at the filing desk) and
//! cuts an export short with an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use fieldweek::db::schema::visits;
use fieldweek::domain::Role;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::nodes::{start_node, start_node_with};

#[tokio::test]
async fn kill_dash_nine_loses_no_acknowledged_visit() {
    let app = spawn_app().await;
    let volunteer = app.user("vol.kill", Role::Volunteer, "50").await;
    let node = start_node(&app);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Every visit attempted, and whether the server acknowledged it (2xx).
    let sent: Arc<Mutex<HashMap<String, (Value, bool)>>> = Arc::default();
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (client, sent, token, url) = (
            client.clone(),
            sent.clone(),
            volunteer.token.clone(),
            node.url.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let id = uuid::Uuid::new_v4().to_string();
                let body = crate::visits::visit(&id);
                sent.lock()
                    .unwrap()
                    .insert(id.clone(), (body.clone(), false));
                let result = client
                    .post(format!("{url}/api/v1/visits"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match result {
                    Ok(response) if response.status().is_success() => {
                        sent.lock().unwrap().get_mut(&id).unwrap().1 = true;
                    }
                    // The server is gone: stop this sender.
                    _ => return,
                }
            }
        }));
    }
    // Let a stream of submissions flow, then kill the server without warning.
    while sent
        .lock()
        .unwrap()
        .values()
        .filter(|(_, acked)| *acked)
        .count()
        < 60
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = node.child.id();
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for sender in senders {
        sender.await.unwrap();
    }
    drop(node);

    let sent = sent.lock().unwrap().clone();
    let acknowledged: Vec<&String> = sent
        .iter()
        .filter(|(_, (_, acked))| *acked)
        .map(|(id, _)| id)
        .collect();
    let stored = || -> HashMap<String, i64> {
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        visits::table
            .group_by(visits::id)
            .select((visits::id, diesel::dsl::count_star()))
            .load::<(String, i64)>(&mut *conn)
            .unwrap()
            .into_iter()
            .collect()
    };
    let after_crash = stored();
    for id in &acknowledged {
        assert_eq!(
            after_crash.get(*id),
            Some(&1),
            "acknowledged visit {id} is missing"
        );
    }

    // The phone resends everything it has no answer for (and, to be sure, all the rest):
    // a restarted server stores each visit exactly once.
    let restarted = start_node(&app);
    for (id, (body, acked)) in &sent {
        let response = client
            .post(format!("{}/api/v1/visits", restarted.url))
            .bearer_auth(&volunteer.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if *acked {
            assert_eq!(status, 200, "{id} was stored, so the resend is a replay");
        } else {
            assert!(status == 201 || status == 200, "{id}: {status}");
        }
    }
    let final_rows = stored();
    assert_eq!(final_rows.len(), sent.len());
    assert!(final_rows.values().all(|n| *n == 1));
}

/// Mounts a tiny tmpfs; `None` where this process may not mount (not root).
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    fn mount(bytes: u64) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(Self { dir })
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_during_a_photo_upload_is_a_clean_error() {
    let Some(disk) = TinyDisk::mount(1024 * 1024) else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let app = spawn_app().await;
    let volunteer = app.user("vol.disk", Role::Volunteer, "50").await;
    let id = uuid::Uuid::new_v4().to_string();
    let response = app
        .send_as(
            &volunteer,
            reqwest::Method::POST,
            "/api/v1/visits",
            &crate::visits::visit(&id),
        )
        .await;
    assert_eq!(response.status(), 201);
    // A node whose data directory (and so its photo store) is the 1 MiB disk.
    let node = start_node_with(&app, |command| {
        command.env("FIELDWEEK_DATA_DIR", disk.dir.path());
    });
    let client = reqwest::Client::new();
    let upload = |size: usize| {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend((0..size).map(|i| (i % 251) as u8));
        client
            .post(format!("{}/api/v1/visits/{id}/photos", node.url))
            .bearer_auth(&volunteer.token)
            .header("Content-Type", "image/jpeg")
            .body(bytes)
            .send()
    };
    let response = upload(3 * 1024 * 1024).await.unwrap();
    assert_eq!(response.status(), 507);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "insufficient_storage");
    let leftovers = std::fs::read_dir(disk.dir.path().join("photos/tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0, "no partial file");
    let mut stored: Vec<String> = std::fs::read_dir(disk.dir.path().join("photos"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    stored.sort();
    assert_eq!(stored, ["tmp", "uploads"], "only the working folders");

    // Once there is room again, uploads work.
    assert_eq!(upload(100 * 1024).await.unwrap().status(), 201);
    drop(node);
}

/// A private PostgreSQL cluster this test may stop and start, run as the `postgres` user.
struct PrivatePostgres {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// `None` where the PostgreSQL server binaries or the `postgres` user are missing.
    fn create() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").exists())?;
        let dir =
            std::env::temp_dir().join(format!("fieldweek-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).ok()?;
        Self::as_postgres(&format!("chown postgres {}", dir.display()), true)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let cluster = Self { dir, bin, port };
        Self::as_postgres(
            &format!(
                "{} -D {}/data -A trust -U postgres >/dev/null",
                cluster.bin.join("initdb").display(),
                cluster.dir.display()
            ),
            false,
        )?;
        cluster.start()?;
        Some(cluster)
    }

    fn as_postgres(command: &str, as_root: bool) -> Option<()> {
        let status = if as_root {
            std::process::Command::new("sh")
                .args(["-c", command])
                .status()
                .ok()?
        } else {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--", "sh", "-c", command])
                .status()
                .ok()?
        };
        status.success().then_some(())
    }

    fn start(&self) -> Option<()> {
        Self::as_postgres(
            &format!(
                "{} -D {dir}/data -l {dir}/log -w -o '-p {port} -k {dir} -c listen_addresses=127.0.0.1' start >/dev/null",
                self.bin.join("pg_ctl").display(),
                dir = self.dir.display(),
                port = self.port
            ),
            false,
        )
    }

    fn stop(&self) {
        let _ = Self::as_postgres(
            &format!(
                "{} -D {}/data -m immediate stop >/dev/null",
                self.bin.join("pg_ctl").display(),
                self.dir.display()
            ),
            false,
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// In the PostgreSQL pass, an app on a private cluster the test may stop; `None` in the
/// SQLite pass.
async fn app_on_private_postgres() -> Option<(PrivatePostgres, crate::helpers::TestApp)> {
    if crate::helpers::engine() != "postgres" {
        return None;
    }
    let postgres = PrivatePostgres::create().expect("start a private PostgreSQL cluster");
    let url = postgres.url();
    let app = crate::helpers::spawn_app_with(|config| {
        config.database = fieldweek::config::DatabaseTarget::Postgres { url };
    })
    .await;
    Some((postgres, app))
}

/// A volunteer filing new visits through a node of its own, as a phone would.
struct Filer {
    client: reqwest::Client,
    token: String,
    node: crate::nodes::Node,
}

impl Filer {
    async fn start(app: &crate::helpers::TestApp, username: &str) -> Self {
        let volunteer = app.user(username, Role::Volunteer, "50").await;
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            token: volunteer.token,
            node: start_node(app),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.node.url)
    }

    fn submit(&self) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
        self.client
            .post(self.url("/api/v1/visits"))
            .bearer_auth(&self.token)
            .json(&crate::visits::visit(&uuid::Uuid::new_v4().to_string()))
            .send()
    }

    /// `count` new visits sent together, answered in any order; runs in the background
    /// from the moment it is called.
    fn submit_at_once(
        &self,
        count: usize,
    ) -> impl std::future::Future<Output = Vec<reqwest::Result<reqwest::Response>>> {
        let sent = tokio::spawn(futures_util::future::join_all(
            (0..count).map(|_| self.submit()).collect::<Vec<_>>(),
        ));
        async move { sent.await.unwrap() }
    }
}

async fn assert_each_unavailable(answers: Vec<reqwest::Result<reqwest::Response>>) {
    for response in answers {
        let response = response.unwrap();
        assert_eq!(response.status(), 503);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "service_unavailable");
    }
}

/// PostgreSQL stopped under load: requests answer 503 (never 500) while it is down, and
/// fieldweek recovers by itself when it comes back. Runs in the PostgreSQL pass.
#[tokio::test]
async fn postgres_down_under_load_is_503_and_recovers_without_a_restart() {
    let Some((postgres, app)) = app_on_private_postgres().await else {
        return;
    };
    let volunteer = Filer::start(&app, "vol.pg").await;
    let ready = || volunteer.client.get(volunteer.url("/readyz")).send();
    assert_eq!(volunteer.submit().await.unwrap().status(), 201);

    postgres.stop();
    // Each waits out the pool's connection timeout (5 s) before answering; sent at
    // once, every one of them gets the 503.
    assert_each_unavailable(volunteer.submit_at_once(3).await).await;
    assert_eq!(ready().await.unwrap().status(), 503);
    assert_eq!(
        volunteer
            .client
            .get(volunteer.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    postgres.start().expect("restart PostgreSQL");
    let started = std::time::Instant::now();
    loop {
        let status = volunteer.submit().await.unwrap().status().as_u16();
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "only 503 while it reconnects");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "did not recover"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ready().await.unwrap().status(), 200);
}

/// A week of `LONG_WEEK_COPIES` + 1 visits of province 50, made in the database from one
/// filed through the API (its copies changed by `changes`: further key and value pairs
/// of a `jsonb_build_object`), for an export long enough to be cut off halfway; and the
/// admin who exports it.
async fn a_long_week(
    app: &crate::helpers::TestApp,
    volunteer: &str,
    changes: &str,
) -> (crate::helpers::TestUser, fieldweek::domain::IsoWeek) {
    let volunteer = app.user(volunteer, Role::Volunteer, "50").await;
    let admin = app.admin().await;
    let filed = crate::visits::file_ok(
        app,
        &volunteer,
        &crate::visits::visit(&uuid::Uuid::new_v4().to_string()),
    )
    .await;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    diesel::sql_query(format!(
        "INSERT INTO visits SELECT (jsonb_populate_record(v, jsonb_build_object(
             'id', v.id || '-' || n{changes}))).*
         FROM visits v, generate_series(1, {LONG_WEEK_COPIES}) n"
    ))
    .execute(&mut *conn)
    .unwrap();
    let visited_at: chrono::DateTime<chrono::Utc> =
        filed["visited_at"].as_str().unwrap().parse().unwrap();
    let week = fieldweek::domain::IsoWeek::containing(visited_at, chrono::Weekday::Mon);
    (admin, week)
}

/// The CSV export of `week`'s visits from the node at `base`, once its first megabyte
/// has come: the response, and how many bytes came.
async fn export_under_way(
    base: &str,
    admin: &crate::helpers::TestUser,
    week: &fieldweek::domain::IsoWeek,
) -> (reqwest::Response, usize) {
    let mut response = reqwest::Client::new()
        .get(format!(
            "{base}/api/v1/reports/weekly/export?week={}-W{:02}&format=csv&dataset=visits",
            week.year(),
            week.week()
        ))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut received = 0;
    while received < 1_000_000 {
        received += response.chunk().await.unwrap().expect("more rows").len();
    }
    (response, received)
}

/// The copies of [`a_long_week`].
const LONG_WEEK_COPIES: usize = 100_000;

/// PostgreSQL gone in the middle of a CSV export: the download ends in an error, so no
/// one mistakes a cut-off file for the whole week. Runs in the PostgreSQL pass.
#[tokio::test]
async fn an_export_cut_off_by_the_database_ends_in_an_error_not_a_short_file() {
    let Some((postgres, app)) = app_on_private_postgres().await else {
        return;
    };
    // More rows than the export's buffers and the sockets between hold, so that most
    // of them are still to be read when the database goes.
    let (admin, week) = a_long_week(&app, "vol.export", "").await;
    let node = start_node(&app);

    // Some rows in (the export is under way), then the database goes.
    let (mut response, mut received) = export_under_way(&node.url, &admin, &week).await;
    postgres.stop();
    let ending = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => received += bytes.len(),
            Ok(None) => break Ok(()),
            Err(error) => break Err(error),
        }
    };
    assert!(
        ending.is_err(),
        "the body ended cleanly after {received} bytes"
    );
    // Far short of the whole week. Each row is well over 250 bytes (about 550: Thai
    // names and labels); what the sockets between already held when the database went
    // still comes (11 MB once, PostgreSQL sending as fast as it reads).
    assert!(received < 250 * LONG_WEEK_COPIES, "{received} bytes");
}

/// A reader that leaves an export halfway: PostgreSQL sends a query's whole result, so the
/// export's statement is stopped from another connection rather than read to its end.
/// Runs in the PostgreSQL pass.
#[tokio::test]
async fn an_export_left_halfway_stops_its_statement_at_once() {
    if crate::helpers::engine() != "postgres" {
        return;
    }
    crate::helpers::capture_warnings();
    let app = crate::helpers::spawn_app().await;
    let (admin, week) = a_long_week(&app, "vol.leaver", ", 'summary', repeat('ร', 4000)").await;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();

    let exporting = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = \
                     current_database() AND pid <> pg_backend_pid() AND state = 'active' \
                     AND query LIKE 'SELECT \"visits\".\"id\", \"visits\".\"author_id\"%'";
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut running = || {
        diesel::sql_query(exporting)
            .get_result::<Count>(&mut *conn)
            .unwrap()
            .n
    };
    let (response, _) = export_under_way(&app.address, &admin, &week).await;
    assert_eq!(running(), 1, "the export's statement, under way");
    drop(response);

    // Then stopped, and gone from the database's activity.
    let started = std::time::Instant::now();
    loop {
        if running() == 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "the abandoned export's statement still runs"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(crate::helpers::warned(
        "stopped the statement of a read its reader left"
    ));
    // The node goes on serving exports.
    let again = app
        .send_as(
            &admin,
            reqwest::Method::GET,
            "/api/v1/reports/weekly/export?format=csv&dataset=grievances",
            &serde_json::Value::Null,
        )
        .await;
    assert_eq!(again.status(), 200);
}

/// PostgreSQL gone while filings wait at the filing desk: the one being filed and the
/// group queued behind it all answer 503, none 500, none left without an answer. Runs in
/// the PostgreSQL pass.
#[tokio::test]
async fn postgres_down_while_filings_wait_at_the_desk_answers_each_503() {
    let Some((postgres, app)) = app_on_private_postgres().await else {
        return;
    };
    let volunteer = Filer::start(&app, "vol.desk").await;
    assert_eq!(volunteer.submit().await.unwrap().status(), 201);

    // A lock that lets the filings read their accounts but holds their INSERT: the
    // first to reach the desk waits on it, and the others queue behind as one group.
    let mut lock_holder = app.services.db.connection_for_cli_and_tests().unwrap();
    diesel::sql_query("BEGIN")
        .execute(&mut *lock_holder)
        .unwrap();
    diesel::sql_query("LOCK TABLE visits IN EXCLUSIVE MODE")
        .execute(&mut *lock_holder)
        .unwrap();
    let filings = volunteer.submit_at_once(4);
    let started = std::time::Instant::now();
    while waiting_on_visits(&mut lock_holder) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no filing reached the desk"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The others' account reads take milliseconds; give them ample time to queue.
    tokio::time::sleep(Duration::from_millis(500)).await;
    postgres.stop();
    assert_each_unavailable(filings.await).await;
}

/// How many sessions wait for a lock on `visits` (pg_locks is read live, even inside the
/// transaction that holds the lock).
fn waiting_on_visits(conn: &mut fieldweek::db::DbConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS count FROM pg_locks \
         WHERE NOT granted AND relation = 'visits'::regclass",
    )
    .get_result::<Waiting>(conn)
    .unwrap()
    .count
}
