//! Bulk writes of demo rows: many rows per statement on SQLite, COPY on PostgreSQL,
//! both on the concrete connection (the multi-backend one can render neither).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::grievances::GrievanceChunk;
use super::households::HouseholdChunk;
use crate::db::plans::PlanRow;
use crate::db::schema::{
    grievance_events, grievances, household_events, household_members, households, plans, users,
    visits,
};
use crate::db::users::UserRow;
use crate::db::visits::VisitRow;
use crate::db::DbConnection;

/// Rows per statement, keeping each under SQLite's limit of 32,766 bound parameters.
const VISITS_PER_STATEMENT: usize = 1_000; // 28 columns
const GRIEVANCES_PER_STATEMENT: usize = 500; // 38 columns
const EVENTS_PER_STATEMENT: usize = 2_000; // 9 columns
const USERS_PER_STATEMENT: usize = 1_000; // 14 columns
const HOUSEHOLDS_PER_STATEMENT: usize = 1_000; // 19 columns
const MEMBERS_PER_STATEMENT: usize = 1_000; // 16 columns

/// SQLite's page cache while loading (256 MiB, in KiB as the pragma wants it): the
/// primary keys take random ids in random places, and with the default 2 MiB cache a
/// million visits load a third slower, re-reading the same pages.
const LOADING_CACHE_KIB: i64 = 262_144;
/// SQLite's default, which the pool's connections otherwise keep.
const DEFAULT_CACHE_KIB: i64 = 2_000;

macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr, $per_statement:expr) => {{
        match &mut *$conn {
            DbConnection::Sqlite(conn) => {
                for chunk in $rows.chunks($per_statement) {
                    diesel::insert_into($table).values(chunk).execute(conn)?;
                }
            }
            // COPY has no parameter limit and skips planning a statement per batch.
            DbConnection::Postgres(conn) => {
                diesel::copy_from($table)
                    .from_insertable(&$rows[..])
                    .execute(conn)?;
            }
        }
    }};
}

/// Accounts as `UserRow`s, like every other account; there are few, so plain inserts.
pub fn users(conn: &mut DbConnection, rows: &[UserRow]) -> QueryResult<()> {
    for chunk in rows.chunks(USERS_PER_STATEMENT) {
        let insert = diesel::insert_into(users::table).values(chunk);
        match conn {
            DbConnection::Sqlite(conn) => insert.execute(conn)?,
            DbConnection::Postgres(conn) => insert.execute(conn)?,
        };
    }
    Ok(())
}

/// Plans, a statement per few hundred (a plan per field worker).
pub fn plans(conn: &mut DbConnection, rows: &[PlanRow]) -> QueryResult<()> {
    for chunk in rows.chunks(USERS_PER_STATEMENT) {
        let insert = diesel::insert_into(plans::table).values(chunk);
        match conn {
            DbConnection::Sqlite(conn) => insert.execute(conn)?,
            DbConnection::Postgres(conn) => insert.execute(conn)?,
        };
    }
    Ok(())
}

pub fn visits(conn: &mut DbConnection, chunk: &[VisitRow]) -> QueryResult<()> {
    insert_chunks!(conn, visits::table, chunk, VISITS_PER_STATEMENT);
    Ok(())
}

/// Households with their members and first history event.
pub fn households(conn: &mut DbConnection, chunk: &HouseholdChunk) -> QueryResult<()> {
    insert_chunks!(
        conn,
        households::table,
        chunk.households,
        HOUSEHOLDS_PER_STATEMENT
    );
    insert_chunks!(
        conn,
        household_members::table,
        chunk.members,
        MEMBERS_PER_STATEMENT
    );
    insert_chunks!(
        conn,
        household_events::table,
        chunk.events,
        EVENTS_PER_STATEMENT
    );
    Ok(())
}

pub fn grievances(conn: &mut DbConnection, chunk: &GrievanceChunk) -> QueryResult<()> {
    insert_chunks!(
        conn,
        grievances::table,
        chunk.grievances,
        GRIEVANCES_PER_STATEMENT
    );
    insert_chunks!(
        conn,
        grievance_events::table,
        chunk.events,
        EVENTS_PER_STATEMENT
    );
    Ok(())
}

/// An index or constraint set aside for a bulk load: how to drop it and how to make it
/// again, both as the database's catalogue states it (so the migrations stay the only
/// place that defines the schema).
#[derive(Debug, QueryableByName)]
pub struct SetAside {
    #[diesel(sql_type = Text)]
    drop_sql: String,
    #[diesel(sql_type = Text)]
    create_sql: String,
}

/// Drops what makes a bulk load into `tables` slow, returning it for [`restore`].
/// Keeping a dozen indexes up to date row by row, in random key order, costs several
/// times the load itself, while building each afterwards is one sort. So: every
/// secondary index, on both engines; on PostgreSQL also the tables' primary keys and
/// the foreign keys that point at them (checked row by row through triggers; adding
/// them back checks all rows in one join). SQLite cannot drop constraints.
///
/// Call it inside the load's transaction, so that an interrupted load takes the removal
/// back with everything else. Until that transaction ends PostgreSQL keeps the tables
/// (and any table whose foreign key was dropped, such as `visit_photos`) locked even
/// against readers. Foreign keys from the tables to others (`users`) stay: dropping
/// them would lock `users`, and with it every login, for as long.
pub fn set_aside(conn: &mut DbConnection, tables: &[&str]) -> QueryResult<Vec<SetAside>> {
    // The table names are the demo's own constants, never input.
    let names = tables
        .iter()
        .map(|table| format!("'{table}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let set_aside: Vec<SetAside> = match conn {
        // Indexes behind PRIMARY KEY and UNIQUE constraints have no SQL of their own.
        DbConnection::Sqlite(conn) => diesel::sql_query(format!(
            "SELECT 'DROP INDEX \"' || replace(name, '\"', '\"\"') || '\"' AS drop_sql,
                    sql AS create_sql
             FROM sqlite_master
             WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
               AND tbl_name IN ({names})
             ORDER BY name"
        ))
        .load(conn)?,
        // Foreign keys go first and primary keys before plain indexes; [`restore`]
        // works backwards, so a key exists again before anything refers to it.
        DbConnection::Postgres(conn) => diesel::sql_query(format!(
            "WITH loaded AS (SELECT unnest(ARRAY[{names}]::regclass[]) AS oid)
             SELECT drop_sql, create_sql FROM (
                 SELECT 1 AS step,
                        format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_sql,
                        format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                               pg_get_constraintdef(c.oid)) AS create_sql
                 FROM pg_constraint c
                 WHERE c.contype = 'f'
                   AND c.confrelid IN (SELECT oid FROM loaded)
                 UNION ALL
                 SELECT 2,
                        format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
                        format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                               pg_get_constraintdef(c.oid))
                 FROM pg_constraint c
                 WHERE c.contype IN ('p', 'u') AND c.conrelid IN (SELECT oid FROM loaded)
                 UNION ALL
                 SELECT 3, format('DROP INDEX %s', x.indexrelid::regclass), pg_get_indexdef(x.indexrelid)
                 FROM pg_index x
                 WHERE x.indrelid IN (SELECT oid FROM loaded) AND NOT x.indisprimary AND NOT x.indisunique
             ) AS parts
             ORDER BY step, drop_sql"
        ))
        .load(conn)?,
    };
    for item in &set_aside {
        diesel::sql_query(&item.drop_sql).execute(conn)?;
    }
    Ok(set_aside)
}

/// Makes again, in reverse order, what [`set_aside`] dropped.
pub fn restore(conn: &mut DbConnection, set_aside: &[SetAside]) -> QueryResult<()> {
    for item in set_aside.iter().rev() {
        diesel::sql_query(&item.create_sql).execute(conn)?;
    }
    Ok(())
}

/// Readies a connection for a bulk load; [`end_bulk_load`] puts it back as it was.
pub fn begin_bulk_load(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(conn) = conn {
        conn.batch_execute(&format!("PRAGMA cache_size = -{LOADING_CACHE_KIB};"))?;
    }
    Ok(())
}

pub fn end_bulk_load(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(conn) = conn {
        conn.batch_execute(&format!("PRAGMA cache_size = -{DEFAULT_CACHE_KIB};"))?;
    }
    Ok(())
}

/// Settings for the rest of a load's transaction on PostgreSQL: building an index over
/// millions of rows may take longer than the pool's statement timeout, and sorts in
/// memory rather than in temporary files.
pub fn tune_transaction(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(conn) = conn {
        conn.batch_execute(
            "SET LOCAL statement_timeout = 0; SET LOCAL maintenance_work_mem = '256MB';",
        )?;
    }
    Ok(())
}
