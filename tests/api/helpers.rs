//! Starts the real server on port 0 with a fresh database per test: SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL` names a server (a new database per test, cloned
//! from a template that already holds the migrations and the areas).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use diesel::prelude::*;
use fieldweek::accounts::{self, CreateUserInput, NewAccount};
use fieldweek::config::{AdminBootstrap, Config, DatabaseTarget};
use fieldweek::domain::Role;
use fieldweek::server::{self, Services};
use serde_json::Value;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin password for tests";
pub const PASSWORD: &str = "a long enough password";

/// An account and a live access token for it.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub services: Services,
    pub data_dir: tempfile::TempDir,
    postgres: Option<PostgresDatabase>,
}

/// The engine the tests run on.
pub fn engine() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (target, postgres) = fresh_database(data_dir.path()).await;
    let mut config = Config::with_database(target, data_dir.path().to_owned());
    config.bind = "127.0.0.1:0".into();
    config.workers = Some(2);
    config.db_pool_size = 4;
    config.jwt_secret = Some(JWT_SECRET.into());
    config.admin = Some(AdminBootstrap {
        username: ADMIN_USERNAME.into(),
        password: ADMIN_PASSWORD.into(),
    });
    adjust(&mut config);

    let services = tokio::task::spawn_blocking(move || Services::prepare(config))
        .await
        .expect("prepare task")
        .expect("services start");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let server = server::start(services.clone(), listener).expect("server starts");
    tokio::spawn(server);

    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        services,
        data_dir,
        postgres,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Logs in over HTTP; panics unless it succeeds.
    pub async fn login(&self, username: &str, password: &str) -> TestUser {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "login of {username}: {body}");
        TestUser {
            id: body["user"]["id"].as_str().unwrap().into(),
            password: password.into(),
            token: body["access_token"].as_str().unwrap().into(),
            refresh_token: body["refresh_token"].as_str().unwrap().into(),
        }
    }

    pub async fn admin(&self) -> TestUser {
        self.login(ADMIN_USERNAME, ADMIN_PASSWORD).await
    }

    /// Creates an account straight in the database (no HTTP), then logs it in.
    pub async fn user(&self, username: &str, role: Role, area: &str) -> TestUser {
        self.user_named(username, &format!("{username} (test)"), role, area)
            .await
    }

    /// [`TestApp::user`] with the display name given.
    pub async fn user_named(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        area: &str,
    ) -> TestUser {
        let account = NewAccount::parse(
            CreateUserInput {
                username: username.into(),
                display_name: display_name.into(),
                password: PASSWORD.into(),
                role,
                area_code: area.into(),
                phone: None,
            },
            &self.services.geography,
        )
        .expect("valid test account");
        let db = self.services.db.clone();
        tokio::task::spawn_blocking(move || accounts::create_blocking(&db, account, "test.user"))
            .await
            .unwrap()
            .expect("account created");
        self.login(username, PASSWORD).await
    }

    /// A request with the user's bearer token.
    pub fn as_user(
        &self,
        user: &TestUser,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&user.token)
    }

    /// GET as a user; returns the status and the parsed body.
    pub async fn get_as(&self, user: &TestUser, path: &str) -> (u16, Value) {
        let response = self
            .as_user(user, reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends JSON as a user; returns the raw response.
    pub async fn send_as(
        &self,
        user: &TestUser,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.as_user(user, method, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The audit entries with this action, oldest first, as (actor, record id, details).
    pub fn audit_entries(&self, action: &str) -> Vec<(Option<String>, Option<String>, Value)> {
        use fieldweek::db::schema::audit_log;
        let mut conn = self.services.db.connection_for_cli_and_tests().unwrap();
        audit_log::table
            .filter(audit_log::action.eq(action))
            .order(audit_log::id.asc())
            .select((
                audit_log::actor_id,
                audit_log::record_id,
                audit_log::details,
            ))
            .load::<(Option<String>, Option<String>, String)>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|(actor, record, details)| {
                (actor, record, serde_json::from_str(&details).unwrap())
            })
            .collect()
    }

    /// GET, expecting JSON back; returns the status and the parsed body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Drops this test's PostgreSQL database under the running server.
    pub fn drop_postgres_database(&self) {
        if let Some(database) = &self.postgres {
            database.drop_database();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(database) = self.postgres.take() {
            database.drop_database();
        }
    }
}

/// Asserts an RFC 9457 answer with the given status and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "{body}"
    );
    body
}

// ---- SQLite ----------------------------------------------------------------------------

/// Migrating and loading 8,400 areas once per process, then copying the file, keeps each
/// test's fresh database cheap.
fn sqlite_template() -> &'static Path {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("template dir");
        let path = dir.path().join("template.db");
        let config = Config::with_database(
            DatabaseTarget::Sqlite { path: path.clone() },
            dir.path().to_owned(),
        );
        // Dropping the services closes every connection, which checkpoints the WAL.
        drop(Services::prepare(config).expect("template database"));
        (dir, path)
    });
    path
}

// ---- PostgreSQL ------------------------------------------------------------------------

struct PostgresDatabase {
    server_url: String,
    name: String,
}

impl PostgresDatabase {
    fn drop_database(&self) {
        if let Ok(mut conn) = PgConnection::establish(&self.server_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

pub fn database_url(server_url: &str, name: &str) -> String {
    let base = server_url
        .rsplit_once('/')
        .map_or(server_url, |(base, _)| base);
    format!("{base}/{name}")
}

fn postgres_template(server_url: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        // Named after the migrations, so a changed schema gets a new template.
        let name = format!("fieldweek_template_{}", migrations_fingerprint());
        let mut admin = PgConnection::establish(server_url).expect("connect TEST_DATABASE_URL");
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )))
        .get_result(&mut admin)
        .expect("query pg_database");
        if !exists {
            let building = format!("{name}_building_{}", std::process::id());
            diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
                .execute(&mut admin)
                .expect("create template");
            let config = Config::with_database(
                DatabaseTarget::Postgres {
                    url: database_url(server_url, &building),
                },
                std::env::temp_dir(),
            );
            drop(Services::prepare(config).expect("template database"));
            // Another test process may have won the race; either template is good.
            let _ = diesel::sql_query(format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .execute(&mut admin);
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .execute(&mut admin);
        }
        name
    })
}

fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<PathBuf> = walk(&root);
    files.sort();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap());
    }
    // The areas come from the geography compiled in, which the binary's version pins.
    hasher.update(env!("CARGO_PKG_VERSION"));
    hex::encode(&hasher.finalize()[..6])
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn fresh_database(dir: &Path) -> (DatabaseTarget, Option<PostgresDatabase>) {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.is_empty() => {
            let template = postgres_template(&server_url);
            let name = format!("fieldweek_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = PgConnection::establish(&server_url).expect("connect");
            let mut attempts = 0;
            // Cloning fails while another session touches the template; that passes quickly.
            while let Err(error) = diesel::sql_query(format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .execute(&mut admin)
            {
                attempts += 1;
                assert!(attempts < 50, "cannot clone the template: {error}");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let target = DatabaseTarget::Postgres {
                url: database_url(&server_url, &name),
            };
            (target, Some(PostgresDatabase { server_url, name }))
        }
        _ => {
            let path = dir.join("fieldweek.db");
            std::fs::copy(sqlite_template(), &path).expect("copy template");
            (DatabaseTarget::Sqlite { path }, None)
        }
    })
    .await
    .expect("database task")
}

/// Warnings the servers of this test process log, as JSON lines. Every test's server
/// shares the one global subscriber, so a test finds its own lines by request id.
static WARNINGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct WarningSink;

impl std::io::Write for WarningSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        WARNINGS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing warnings (once per process); call before the requests to watch.
pub fn capture_warnings() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::Layer;
        // Warnings, and the request spans that give them their request ids; and the
        // database layer's notices, which say what it did on its own (a statement it
        // stopped, say).
        let wanted = tracing_subscriber::filter::filter_fn(|meta| {
            if meta.is_span() {
                meta.name() == "request"
            } else {
                *meta.level() <= tracing::Level::WARN
                    || (*meta.level() <= tracing::Level::INFO && meta.target() == "fieldweek::db")
            }
        });
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(|| WarningSink)
                    .with_filter(wanted),
            )
            .try_init()
            .expect("no other subscriber in the test process");
    });
}

/// The warnings logged while answering the request sent with `X-Request-Id: request_id`.
pub fn warnings_of(request_id: &str) -> Vec<Value> {
    let text = String::from_utf8(WARNINGS.lock().unwrap().clone()).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["span"]["request_id"] == request_id)
        .collect()
}

/// A TCP relay to a server (an S3 store, a database replica) that can be switched off,
/// cutting the connections it carries: the server "goes down" and comes back.
pub struct Relay {
    /// `127.0.0.1:port`, where the relay listens.
    pub address: String,
    open: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
    carried: Arc<AtomicUsize>,
}

impl Relay {
    /// A relay to `upstream` (`host:port`).
    pub async fn to(upstream: &str) -> Self {
        let upstream = upstream.trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let open = Arc::new(AtomicBool::new(true));
        let carried = Arc::new(AtomicUsize::new(0));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (gate, cuts, count) = (open.clone(), cut.clone(), carried.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !gate.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                count.fetch_add(1, Ordering::SeqCst);
                let upstream = upstream.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self {
            address,
            open,
            cut,
            carried,
        }
    }

    /// Connections carried so far.
    pub fn carried(&self) -> usize {
        self.carried.load(Ordering::SeqCst)
    }

    pub fn switch_off(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    pub fn switch_on(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// Whether any server of this test process logged a warning (or a notice of the
/// database layer) saying `message`.
pub fn warned(message: &str) -> bool {
    let text = String::from_utf8(WARNINGS.lock().unwrap().clone()).unwrap();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .any(|line| line["message"] == message)
}
