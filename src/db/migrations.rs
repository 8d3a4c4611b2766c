//! Embedded migrations, one set per engine, kept equivalent by hand.

use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// An arbitrary constant: the PostgreSQL advisory lock that keeps two nodes starting at
/// once from running the same migration twice.
const MIGRATION_LOCK_KEY: i64 = 0x0066_6965_6c64_776b;

/// Applies every pending migration; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConnection::Sqlite(conn) => conn
            .run_pending_migrations(SQLITE)
            .map_err(|e| anyhow::anyhow!("migrating the SQLite database failed: {e}"))?
            .len(),
        DbConnection::Postgres(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
            let result = conn
                .run_pending_migrations(POSTGRES)
                .map(|done| done.len())
                .map_err(|e| anyhow::anyhow!("migrating the PostgreSQL database failed: {e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
            result?
        }
    };
    Ok(applied)
}

pub fn has_pending_migrations(conn: &mut DbConnection) -> anyhow::Result<bool> {
    let pending = match conn {
        DbConnection::Sqlite(conn) => conn.has_pending_migration(SQLITE),
        DbConnection::Postgres(conn) => conn.has_pending_migration(POSTGRES),
    };
    pending.map_err(|e| anyhow::anyhow!("cannot read the migration state: {e}"))
}
