//! Two `fieldweek serve` processes on one database behave as one: idempotency,
//! login throttling and token revocation hold across them. (On SQLite the two processes
//! share the file; on PostgreSQL, the server.)

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fieldweek::config::DatabaseTarget;
use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, JWT_SECRET, PASSWORD};

const PII_KEY: &str = "shared-pii-key-for-two-nodes-0123456789";

/// A `fieldweek serve` child process, killed when dropped.
pub struct Node {
    pub child: Child,
    pub url: String,
    _data_dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_node(app: &TestApp) -> Node {
    start_node_with(app, |_| {})
}

/// Starts a node on the app's database; `adjust` may set more of its environment.
pub fn start_node_with(app: &TestApp, adjust: impl FnOnce(&mut Command)) -> Node {
    let database_url = match &app.services.config.database {
        DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
        DatabaseTarget::Postgres { url } => url.clone(),
    };
    let data_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_fieldweek"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("FIELDWEEK_BIND", format!("127.0.0.1:{port}"))
        .env("FIELDWEEK_DATA_DIR", data_dir.path())
        .env("FIELDWEEK_JWT_SECRET", JWT_SECRET)
        .env("FIELDWEEK_PII_KEY", PII_KEY)
        .env("FIELDWEEK_WORKERS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    adjust(&mut command);
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("fieldweek is listening") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("node did not start");
    Node {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _data_dir: data_dir,
    }
}

async fn login(
    client: &reqwest::Client,
    node: &Node,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/api/v1/auth/login", node.url))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn two_processes_behave_as_one() {
    let app = spawn_app().await;
    let volunteer = app.user("vol.two", Role::Volunteer, "50").await;
    // A second login of the same account, that outlives the first one's logout.
    let second_login = app.login("vol.two", PASSWORD).await;
    let admin = app.admin().await;
    let (a, b) = (start_node(&app), start_node(&app));
    let client = reqwest::Client::new();

    // Idempotency: the same visit sent 20 times to each node at once makes one row.
    let body = crate::visits::visit(&uuid::Uuid::new_v4().to_string());
    let sends = (0..40).map(|n| {
        let node = if n % 2 == 0 { &a } else { &b };
        client
            .post(format!("{}/api/v1/visits", node.url))
            .bearer_auth(&volunteer.token)
            .json(&body)
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );

    // Throttling: failures on either node count together.
    for node in [&a, &b, &a, &b, &a] {
        assert_eq!(
            login(&client, node, "vol.two", "wrong password!")
                .await
                .status(),
            401
        );
    }
    assert_eq!(login(&client, &b, "vol.two", PASSWORD).await.status(), 429);
    assert_eq!(login(&client, &a, "vol.two", PASSWORD).await.status(), 429);

    // Revocation: a logout on one node ends the login on the other, its access token
    // included; a deactivation on one ends every access token on the other at once.
    let me = |token: &str| {
        client
            .get(format!("{}/api/v1/me", b.url))
            .bearer_auth(token)
            .send()
    };
    // A visit is read on the route that confirms the account inside its own database work.
    let own_visit = |token: &str| {
        client
            .get(format!(
                "{}/api/v1/visits/{}",
                b.url,
                body["id"].as_str().unwrap()
            ))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(me(&volunteer.token).await.unwrap().status(), 200);
    let response = client
        .post(format!("{}/api/v1/auth/logout", a.url))
        .bearer_auth(&volunteer.token)
        .json(&json!({"refresh_token": volunteer.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = client
        .post(format!("{}/api/v1/auth/refresh", b.url))
        .json(&json!({"refresh_token": volunteer.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(me(&volunteer.token).await.unwrap().status(), 401);
    assert_eq!(own_visit(&volunteer.token).await.unwrap().status(), 401);
    assert_eq!(me(&second_login.token).await.unwrap().status(), 200);
    assert_eq!(own_visit(&second_login.token).await.unwrap().status(), 200);
    let response = client
        .patch(format!("{}/api/v1/users/{}", a.url, volunteer.id))
        .bearer_auth(&admin.token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me(&second_login.token).await.unwrap().status(), 401);
    assert_eq!(own_visit(&second_login.token).await.unwrap().status(), 401);

    // Personal data written on one node reads back on the other (shared key).
    let grievance = json!({
        "location": {"lat": 18.7883, "lon": 98.9853}, "category": "poverty", "priority": "normal",
        "title": "t", "description": "d",
        "complainant": {"national_id": "1103702071188", "consent": true},
    });
    let created: Value = client
        .post(format!("{}/api/v1/grievances", a.url))
        .bearer_auth(&admin.token)
        .json(&grievance)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let read: Value = app
        .client
        .request(
            Method::GET,
            format!(
                "{}/api/v1/grievances/{}",
                b.url,
                created["id"].as_str().unwrap()
            ),
        )
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["complainant"]["national_id"], "1103702071188");
    let started = Instant::now();
    drop((a, b));
    assert!(started.elapsed() < Duration::from_secs(10));
}
