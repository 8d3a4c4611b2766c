//! Sessions of the web console: one row per signed-in browser, found by the hash of the
//! token its cookie holds.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{console_sessions, users};
use super::users::UserRow;
use super::DbConnection;
use crate::domain::UserId;

/// A session as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSessionRow {
    pub token_hash: String,
    pub user_id: UserId,
    pub token_version: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn open(conn: &mut DbConnection, row: &ConsoleSessionRow) -> QueryResult<()> {
    diesel::insert_into(console_sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The session with this token hash and its account, in one statement.
pub fn find(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(ConsoleSessionRow, UserRow)>> {
    console_sessions::table
        .inner_join(users::table)
        .filter(console_sessions::token_hash.eq(token_hash))
        .select((ConsoleSessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

/// Notes that the session was used at `now` (it stays open while used).
pub fn touch(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(console_sessions::table.find(token_hash))
        .set(console_sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends one session (sign-out, or found expired).
pub fn close(conn: &mut DbConnection, token_hash: &str) -> QueryResult<()> {
    diesel::delete(console_sessions::table.find(token_hash)).execute(conn)?;
    Ok(())
}

/// Ends every console session of an account (a password change or reset).
pub fn close_all_for_user(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(user_id)))
        .execute(conn)
}

/// Removes sessions idle since before `idle_before`.
pub fn sweep(conn: &mut DbConnection, idle_before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(console_sessions::table.filter(console_sessions::last_seen_at.lt(idle_before)))
        .execute(conn)
}
