//! The `account_activity` table: when each account last signed in and last synced.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::account_activity;
use super::DbConnection;

#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = account_activity)]
pub struct Activity {
    pub user_id: String,
    pub last_sign_in_at: Option<NaiveDateTime>,
    pub last_sync_at: Option<NaiveDateTime>,
}

/// A sync this soon after the last recorded one is not written down: the admin screens
/// need the day, not the minute, and a phone syncs often.
pub const SYNC_RECORDED_EVERY_MINUTES: i64 = 15;

/// Records a sign-in.
pub fn signed_in(conn: &mut DbConnection, user_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    let statement = diesel::insert_into(account_activity::table)
        .values((
            account_activity::user_id.eq(user_id),
            account_activity::last_sign_in_at.eq(at),
        ))
        .on_conflict(account_activity::user_id)
        .do_update()
        .set(account_activity::last_sign_in_at.eq(at));
    // Upserts are written differently by each engine: run on the concrete connection.
    match conn {
        DbConnection::Sqlite(conn) => statement.execute(conn)?,
        DbConnection::Postgres(conn) => statement.execute(conn)?,
    };
    Ok(())
}

/// Records a sync (callers first ask [`sync_recent`], on a read connection).
pub fn synced(conn: &mut DbConnection, user_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    let statement = diesel::insert_into(account_activity::table)
        .values((
            account_activity::user_id.eq(user_id),
            account_activity::last_sync_at.eq(at),
        ))
        .on_conflict(account_activity::user_id)
        .do_update()
        .set(account_activity::last_sync_at.eq(at));
    match conn {
        DbConnection::Sqlite(conn) => statement.execute(conn)?,
        DbConnection::Postgres(conn) => statement.execute(conn)?,
    };
    Ok(())
}

/// The activity of the given accounts (those never seen are absent).
pub fn of(conn: &mut DbConnection, user_ids: &[String]) -> QueryResult<Vec<Activity>> {
    account_activity::table
        .filter(account_activity::user_id.eq_any(user_ids))
        .select(Activity::as_select())
        .load(conn)
}

/// Whether the last recorded sync is recent enough that another need not be written.
pub fn sync_recent(conn: &mut DbConnection, user_id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let recent = at - chrono::Duration::minutes(SYNC_RECORDED_EVERY_MINUTES);
    let last: Option<Option<NaiveDateTime>> = account_activity::table
        .find(user_id)
        .select(account_activity::last_sync_at)
        .first(conn)
        .optional()?;
    Ok(matches!(last, Some(Some(t)) if t >= recent))
}
