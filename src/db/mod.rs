//! Storage: one diesel schema on SQLite or PostgreSQL, chosen by the database URL.
//!
//! Diesel is synchronous, so no query runs on an actix worker: reads go to the blocking
//! pool, writes to the blocking pool on PostgreSQL and to the one writer thread on SQLite
//! (`writer`, which commits the writes waiting for it together). A whole transaction
//! lives inside one closure.
//!
//! # Which way in
//!
//! - [`Db::read`] reads; it is the default for reading.
//! - [`Db::write`] changes; it is the default for anything that writes: one transaction,
//!   committed when its work returns `Ok`, rolled back on `Err`.
//!
//! The other ways in each won a measured gain or serve a caller the defaults cannot
//! (bench/NOTES.md). They are crate-private and right only here:
//!
//! - `Db::read_snapshot`: several reads on a hot path (`GET /visits/{id}`). On SQLite
//!   they share one read transaction, so the file's lock is taken once and they see one
//!   snapshot; on PostgreSQL a transaction would cost two round trips, so it is `read`.
//! - `Db::write_one_statement`: a change that is one statement, read back after (filing
//!   visits). On PostgreSQL it skips BEGIN and COMMIT, two of a filing's four round
//!   trips; its work is lent a [`OneStatement`], which cannot write twice.
//! - `Db::with_connection`: long work on a thread already off the async workers (an
//!   export's reader, the PostgreSQL filing desk): one connection for the whole work, on
//!   that thread, with no transaction of its own.
//! - `Db::get`: a connection held across steps outside any request (migrations at
//!   start-up, the demo's bulk load).
//! - `Db::get_with_timeout`: the readiness probe, which must answer with the database down.
//! - `Db::read_report` and `Db::with_report_connection`: `read` and `with_connection` for
//!   reports, exports and dashboards, which go to the read replica when one is configured
//!   (`replica`).
//!
//! [`Db::write_blocking`] is `write` for a thread that may block (start-up, the command
//! line, the retention job), with the same transaction; it is public because the tests
//! drive the writer from threads of their own. The command line and the end-to-end tests
//! are crates of their own: they get a connection through
//! [`Db::connection_for_cli_and_tests`], which nothing in the library calls.

pub mod activity;
pub mod areas;
pub mod audit;
mod checkpoint;
pub mod console_sessions;
pub mod grievances;
pub mod households;
mod migrations;
mod one_statement;
pub mod photos;
pub mod plans;
pub mod privacy;
mod replica;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod sql_log;
pub mod sync;
mod text_columns;
pub mod uploads;
pub mod users;
pub mod visits;
mod writer;

pub use replica::ReplicaUse;
pub(crate) use writer::next_group;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, Connection as _, SimpleConnection, TransactionManager,
};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

use crate::error::ApiError;

pub use migrations::{has_pending_migrations, run_migrations};
pub use one_statement::{OneStatement, ReadOnly};

/// `users` beside each one's plan for a fiscal year (null where they have none): the
/// join every count against plans starts from.
#[macro_export]
macro_rules! users_with_plan_for {
    ($fiscal_year:expr) => {
        $crate::db::schema::users::table.left_join(
            $crate::db::schema::plans::table.on($crate::db::schema::plans::user_id
                .eq($crate::db::schema::users::id)
                .and($crate::db::schema::plans::fiscal_year.eq($fiscal_year))),
        )
    };
}

/// `text` for a `LIKE` pattern escaped with `\`: its own `%`, `_` and `\` match only
/// themselves.
pub fn like_literal(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// Filters a (boxed) diesel query on `$table` to an [`AreaScope`].
#[macro_export]
macro_rules! scoped {
    ($query:expr, $table:ident, $scope:expr) => {{
        use $crate::domain::AreaScope;
        match $scope {
            AreaScope::Everywhere => $query,
            AreaScope::Province(code) => $query.filter($table::province_code.eq(code.clone())),
            AreaScope::District(code) => $query.filter($table::district_code.eq(code.clone())),
            AreaScope::Subdistrict(code) => $query.filter($table::area_code.eq(code.clone())),
        }
    }};
}

/// Inserts `$row` into `$table` unless its key is taken, and says whether it wrote it:
/// the first half of filing a record idempotently on its client-made id (the unique key
/// decides, so two copies sent at once store one). On each engine's own connection,
/// where diesel renders `ON CONFLICT DO NOTHING`. Evaluates to a `bool`; `?` inside.
#[macro_export]
macro_rules! insert_if_absent {
    ($conn:expr, $table:expr, $row:expr) => {{
        let insert = diesel::insert_into($table)
            .values($row)
            .on_conflict_do_nothing();
        let written = match $conn {
            $crate::db::DbConnection::Sqlite(conn) => insert.execute(conn)?,
            $crate::db::DbConnection::Postgres(conn) => insert.execute(conn)?,
        };
        written == 1
    }};
}

/// What filing a record idempotently on its client-made id came to.
pub enum Filed<T> {
    /// A new record: 201.
    Created(Box<T>),
    /// The same record sent again: 200 with what is stored.
    Replayed(Box<T>),
    /// The id is taken by different content or by someone else's record: 409.
    Conflict,
}

impl<T> Filed<T> {
    /// The outcome when the id was taken already, by `stored`: the same record sent
    /// again (`same`, by the caller's rule of sameness), or a conflict.
    pub fn earlier(stored: T, same: bool) -> Self {
        if same {
            Self::Replayed(Box::new(stored))
        } else {
            Self::Conflict
        }
    }

    /// The same outcome, with the record shown another way.
    pub fn map<U>(self, show: impl FnOnce(T) -> U) -> Filed<U> {
        match self {
            Self::Created(record) => Filed::Created(Box::new(show(*record))),
            Self::Replayed(record) => Filed::Replayed(Box::new(show(*record))),
            Self::Conflict => Filed::Conflict,
        }
    }
}

/// How long stopping a statement waits for a second connection of the pool; without one
/// in that time, the statement is read to its end instead.
const INTERRUPT_CHECKOUT_WAIT: Duration = Duration::from_millis(500);

diesel::define_sql_function! {
    /// The process serving this connection on the PostgreSQL server.
    fn pg_backend_pid() -> diesel::sql_types::Integer;
}

diesel::define_sql_function! {
    /// Asks the server process `pid` to stop the statement it is running.
    fn pg_cancel_backend(pid: diesel::sql_types::Integer) -> diesel::sql_types::Bool;
}

/// Stops, from another connection to the same server, the statement a long read is
/// running. PostgreSQL sends a query's whole result, and a reader that gives up
/// halfway would otherwise read all the rest before its connection is free again (an
/// abandoned national export: seconds of the database's CPU for nobody).
pub(crate) struct Interrupter<'a> {
    another: &'a dyn Fn() -> Option<r2d2::PooledConnection<ConnectionManager>>,
}

impl Interrupter<'_> {
    /// The server process of `conn`, to name to [`Interrupter::stop`]. (SQLite needs
    /// none: its statements stop when their reader does.)
    pub(crate) fn backend_of(conn: &mut PgConnection) -> QueryResult<i32> {
        diesel::select(pg_backend_pid()).get_result(conn)
    }

    /// Asks that the statement running on `backend` stop. Best effort: without a
    /// connection to ask from, or should the asking fail, the statement runs on.
    pub(crate) fn stop(&self, backend: i32) {
        let Some(mut conn) = (self.another)() else {
            tracing::warn!("no connection free to stop an abandoned statement: it runs on");
            return;
        };
        let DbConnection::Postgres(pg) = &mut *conn else {
            return;
        };
        match diesel::select(pg_cancel_backend(backend)).execute(pg) {
            Ok(_) => tracing::info!(backend, "stopped the statement of a read its reader left"),
            Err(error) => {
                tracing::warn!(error = %error, "an abandoned statement could not be stopped")
            }
        }
    }
}

/// A connection to either engine; queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// Where the data lives; the engine follows from the URL's scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl DatabaseTarget {
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

// Never print a PostgreSQL password into a log.
impl std::fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            Self::Postgres { url } => {
                let redacted = match (url.find("://"), url.rfind('@')) {
                    (Some(start), Some(at)) if at > start => {
                        format!("{}://***@{}", &url[..start], &url[at + 1..])
                    }
                    _ => url.clone(),
                };
                f.write_str(&redacted)
            }
        }
    }
}

/// Opens connections of the configured engine only. (The derived `establish` would try
/// every engine in turn, and SQLite accepts any string as a file name.)
pub struct ConnectionManager {
    target: DatabaseTarget,
}

/// How long SQLite waits on a lock held by another process before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 15_000;

/// What the write-ahead log file is cut back to once a checkpoint has emptied it. SQLite
/// otherwise keeps the file at the largest it ever grew, so that after loading a million
/// visits a log as large as the data itself would stay on the disk for good.
pub const SQLITE_LOG_KEPT_BYTES: u64 = 64 * 1024 * 1024;

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        use diesel::r2d2::Error;
        match &self.target {
            DatabaseTarget::Sqlite { path } => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(Error::ConnectionError)?;
                // WAL lets readers run beside the writer; FULL makes an acknowledged commit
                // durable; the busy timeout covers writers in other processes (the CLI).
                // Checkpoints run on their own thread (see `checkpoint`).
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA wal_autocheckpoint = 0;
                     PRAGMA journal_size_limit = {SQLITE_LOG_KEPT_BYTES};"
                ))
                .map_err(Error::QueryError)?;
                conn.set_instrumentation(sql_log::SqlLog::default());
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseTarget::Postgres { url } => {
                let mut conn = PgConnection::establish(url).map_err(Error::ConnectionError)?;
                conn.batch_execute(
                    "SET TIME ZONE 'UTC'; SET statement_timeout = '60s';
                     SET application_name = 'fieldweek';",
                )
                .map_err(Error::QueryError)?;
                conn.set_instrumentation(sql_log::SqlLog::default());
                Ok(DbConnection::Postgres(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// The webhook outbox, read for `/metrics`: entries not yet delivered (all of them, in
/// every area) and how long the oldest of them has waited (0 when there is none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutboxBacklog {
    pub undelivered: i64,
    pub oldest_age_seconds: f64,
}

/// The pool's connections: open, idle among them, and the most it may open. (SQLite's
/// writer thread holds one more connection of its own, outside the pool.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub connections: u32,
    pub idle: u32,
    pub max_size: u32,
}

/// The database handle the HTTP layer holds: a pool plus, on SQLite, the one connection
/// every write goes through.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// Where reports read, when a replica is configured (`DATABASE_READ_URL`).
    replica: Option<Arc<replica::Replica>>,
    writer: Option<Arc<writer::SqliteWriter>>,
    /// Declared after `pool` and `writer`, so that its connection closes after theirs:
    /// the last to close folds the log into the database.
    _checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

impl Db {
    /// Opens the pool. Blocking: call it at start or from the blocking pool.
    pub fn connect(target: &DatabaseTarget, pool_size: u32) -> anyhow::Result<Self> {
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            // No ping at checkout: it would cost PostgreSQL a round trip per request.
            // A connection that died with its server fails its next statement; that
            // request is answered 503 and `with_connection` retires the connection.
            .test_on_check_out(false)
            .build(ConnectionManager {
                target: target.clone(),
            })
            .map_err(|e| anyhow::anyhow!("cannot connect to the database {target:?}: {e}"))?;
        let (writer, checkpointer) = match target {
            DatabaseTarget::Sqlite { path } => (
                Some(Arc::new(writer::SqliteWriter::start(ConnectionManager {
                    target: target.clone(),
                })?)),
                Some(Arc::new(checkpoint::Checkpointer::start(path.clone())?)),
            ),
            DatabaseTarget::Postgres { .. } => (None, None),
        };
        Ok(Self {
            pool,
            replica: None,
            writer,
            _checkpointer: checkpointer,
        })
    }

    /// Sends the reads of reports to the replica at `target` (see `replica`). Opens no
    /// connection yet: a replica that is down at start-up stops nothing.
    pub fn with_read_replica(mut self, target: &DatabaseTarget, pool_size: u32) -> Self {
        self.replica = Some(Arc::new(replica::Replica::open(target, pool_size)));
        self
    }

    /// Whether reports have a replica, and how it fares (for `/metrics`).
    pub fn replica_use(&self) -> Option<ReplicaUse> {
        self.replica.as_ref().map(|replica| replica.usage())
    }

    /// [`Db::read`] for a report, an export or a dashboard: on the read replica when
    /// there is one and it answers, else on the primary. Never for reading back what the
    /// caller has just written: a replica may lag behind by a moment.
    pub async fn read_report<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.with_report_connection(work)).await?
    }

    /// [`Db::with_connection`] for a report's long work (an export's reader): on the
    /// replica when there is one and it answers.
    pub(crate) fn with_report_connection<T>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.with_report_stream(|conn, _| work(conn))
    }

    /// [`Db::with_report_connection`] for a read that streams a long result and may be
    /// given up halfway (an export whose reader went away): `work` is also handed the
    /// means to stop the statement its connection is running (see [`Interrupter`]).
    pub(crate) fn with_report_stream<T>(
        &self,
        work: impl FnOnce(&mut DbConnection, &Interrupter<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if let Some(replica) = &self.replica {
            if let Some(mut conn) = replica.checkout() {
                let another = || replica.checkout_within(INTERRUPT_CHECKOUT_WAIT);
                let result = work(&mut conn, &Interrupter { another: &another });
                return retire_if_lost(&mut conn, result);
            }
        }
        let another = || self.pool.get_timeout(INTERRUPT_CHECKOUT_WAIT).ok();
        let interrupter = Interrupter { another: &another };
        self.with_connection(|conn| work(conn, &interrupter))
    }

    /// A connection held across steps outside any request (migrations and the first
    /// admin at start-up, the demo's bulk load). Blocking.
    pub(crate) fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, ApiError> {
        Ok(self.pool.get()?)
    }

    /// The door for the crates beside the library, the `fieldweek` command (migrations,
    /// checking the audit log) and the end-to-end tests (which look into the database and
    /// play the attacker there): a pooled connection with no transaction. Blocking, and
    /// never for the library's own code, which has the ways in the module documentation
    /// lists.
    #[doc(hidden)]
    pub fn connection_for_cli_and_tests(
        &self,
    ) -> Result<r2d2::PooledConnection<ConnectionManager>, ApiError> {
        self.get()
    }

    /// Runs work on one pooled connection, here on this thread (already off the async
    /// workers: a long export, say).
    pub(crate) fn with_connection<T>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.pool.get()?;
        let result = work(&mut conn);
        retire_if_lost(&mut conn, result)
    }

    /// Runs read-only work on the blocking pool.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_blocking_pool(work).await
    }

    /// [`Db::read`] for work of several statements, run in one read transaction on SQLite:
    /// they see one snapshot, and the file's shared lock is taken once instead of once a
    /// statement (those locks were a tenth of a GET's CPU). On PostgreSQL each statement
    /// stays on its own, as a transaction there costs two more round trips. The work must
    /// not write: SQLite could refuse the upgrade to a write lock at once.
    pub(crate) async fn read_snapshot<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_blocking_pool(|conn| {
            if conn.is_sqlite() {
                conn.transaction(work)
            } else {
                work(conn)
            }
        })
        .await
    }

    /// Runs `work` on a pooled connection on the blocking pool.
    async fn on_blocking_pool<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.with_connection(work)).await?
    }

    /// Runs `work` in one write transaction: committed when it returns `Ok`, rolled back
    /// on `Err`. On SQLite it queues for the writer thread (see `writer`), elsewhere it
    /// runs on the blocking pool.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(work).await,
            None => {
                self.on_blocking_pool(move |conn| write_transaction(conn, work))
                    .await
            }
        }
    }

    /// How the pool is used right now (for `/metrics`): no I/O, a lock held for a moment.
    pub fn pool_use(&self) -> PoolUse {
        let state = self.pool.state();
        PoolUse {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }

    /// True when writes queue for one thread that commits them together (SQLite's writer).
    pub(crate) fn groups_writes(&self) -> bool {
        self.writer.is_some()
    }

    /// [`Db::write`] for work whose only change is one statement (filing visits is one
    /// `INSERT`, whatever it reads after). A statement is atomic and durable on its own,
    /// so on PostgreSQL it runs without BEGIN and COMMIT: two round trips of a filing's
    /// four. On SQLite it is `write`: the writer thread commits waiting writes together.
    ///
    /// The work is lent a [`OneStatement`], not the connection: it runs its one statement
    /// and gets the connection back for reads only, so a second write does not compile.
    pub(crate) async fn write_one_statement<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(OneStatement<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let lend = move |conn: &mut DbConnection| work(OneStatement::new(conn));
        if self.groups_writes() {
            return self.write(lend).await;
        }
        self.on_blocking_pool(lend).await
    }

    /// [`Db::write`] for callers off the async workers (start-up, CLI commands, jobs).
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write_blocking(work),
            None => self.with_connection(|conn| write_transaction(conn, work)),
        }
    }

    /// A connection within `timeout`, checked alive (for readiness probes).
    pub(crate) fn get_with_timeout(
        &self,
        timeout: Duration,
    ) -> Result<r2d2::PooledConnection<ConnectionManager>, ApiError> {
        let mut conn = self.pool.get_timeout(timeout)?;
        conn.ping()?;
        Ok(conn)
    }
}

/// Marks the connection broken when `result` says it was lost, so that the pool drops
/// it instead of lending it out again: diesel goes on treating a PostgreSQL connection
/// whose server has gone (restarted, or the backend ended) as usable, and every request
/// after would fail on it.
fn retire_if_lost<T>(conn: &mut DbConnection, result: Result<T, ApiError>) -> Result<T, ApiError> {
    if matches!(result, Err(ApiError::ServiceUnavailable(_))) {
        DbConnection::transaction_manager_status_mut(conn).set_in_error();
    }
    result
}

/// A transaction that takes the write lock up front on SQLite (`BEGIN IMMEDIATE`), so a
/// transaction that reads before it writes cannot fail halfway with SQLITE_BUSY.
pub(crate) fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(inner) => AnsiTransactionManager::begin_transaction(inner)?,
    }
    match work(conn) {
        Ok(value) => match DbConnection::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(error) => {
                let _ = DbConnection::rollback_transaction(conn);
                Err(error.into())
            }
        },
        Err(error) => {
            // A failed rollback leaves the connection marked broken; the pool drops it.
            let _ = DbConnection::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// The current time as stored: UTC, to the microsecond (PostgreSQL's precision), so what
/// a write returns is exactly what a later read returns.
pub fn now() -> chrono::NaiveDateTime {
    to_micros(chrono::Utc::now().naive_utc())
}

pub fn to_micros(time: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    time.with_nanosecond(time.nanosecond() / 1_000 * 1_000)
        .unwrap_or(time)
}

/// A `LIKE` pattern that matches `text` anywhere, with `ESCAPE '\\'`: the `%`, `_` and
/// `\\` of `text` itself are taken literally.
pub fn like_containing(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Whether a failed statement broke a unique constraint (an idempotency key or a
/// username already taken), which callers turn into a 409 rather than a 500.
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Runs a query on the engine's own connection instead of through the `DbConnection`
/// wrapper: `natively!(conn, |c| query.first(c))`. The wrapper renders a query's SQL
/// text anew each time it runs (for its binds and for the statement cache, so two or
/// three times a run); the engine's own connection finds its prepared statement by the
/// query's type. Worth it on the paths every request takes; the body is compiled once
/// per engine.
#[macro_export]
macro_rules! natively {
    ($conn:expr, |$inner:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($inner) => $body,
            $crate::db::DbConnection::Postgres($inner) => $body,
        }
    };
}

/// Keyset pagination on `(time, id)`: narrows a boxed query to the rows after the key
/// `(at, id)` in ascending order (`after_key!(q, t, i, at, id)`) or before it in
/// descending order (`after_key!(q, t, i, at, id, descending)`).
///
/// The plain bound on `time` is implied by the OR beside it, but it is what lets the
/// index range start at the key. It must be the only bound on that side of the range:
/// given two (say a week's start and the key), SQLite cannot tell which is tighter,
/// may walk the index from the looser one on every page, and an export of a million
/// rows then takes quadratic time. Callers drop their own bound when a key is given.
#[macro_export]
macro_rules! after_key {
    ($query:expr, $time:expr, $id:expr, $at:expr, $last_id:expr) => {{
        let at = $at;
        $query
            .filter($time.ge(at))
            .filter($time.gt(at).or($id.gt($last_id)))
    }};
    ($query:expr, $time:expr, $id:expr, $at:expr, $last_id:expr, descending) => {{
        let at = $at;
        $query
            .filter($time.le(at))
            .filter($time.lt(at).or($id.lt($last_id)))
    }};
}
