//! Positions for the phone sync feed (`GET /sync/changes`): where each visit, grievance,
//! account and household last changed, and the removals that no record's own position can tell.
//!
//! # A position per record, set by the database
//!
//! `visits`, `grievances`, `users`, `households`, `sync_removals` and
//! `household_departures` carry `(sync_xid, sync_seq)`, written by triggers on every
//! insert and update (migrations 12, 19 and 21), so no write path (a
//! route, the demo, the command line, a job, a feature still to come) can forget it. A
//! record changed twice between two reads has moved once more: the reader gets it once,
//! in its latest state. Changes beside a record that alter its document (a photo, a
//! comment) move it by updating its row's `updated_at` (`db::grievances::touch` and
//! `touch_all`; a visit's photo updates its row itself), which fires the same triggers.
//!
//! # Why a reader never steps past a change that has yet to commit
//!
//! A reader asks for the rows of one source (say, the visits it filed) with a position
//! after its cursor, in position order, and its cursor becomes the position of the last
//! row it took. That is only right if no row can later appear *behind* the cursor.
//!
//! - SQLite takes one writer at a time (the writer thread, and the file lock for other
//!   processes): a transaction takes its positions from the counter and commits before
//!   the next one can take any. Commit order is position order, `sync_xid` is always 0,
//!   and the sources of one read run in one read transaction ([`Db::read_snapshot`]),
//!   so they see the same prefix of the commits.
//! - PostgreSQL runs writers side by side: a transaction can take `sync_seq` 7, another
//!   take 8 and commit first. Ordering by `sync_seq` alone would let a reader take 8 and
//!   skip 7 for good. So rows are ordered by the writing transaction's id first, and a
//!   read takes only rows whose `sync_xid` lies below the `xmin` of a snapshot taken at
//!   its start ([`watermark`]): every transaction with an id below `xmin` has ended,
//!   so every row it wrote is visible to the statements that follow, all of them. A row
//!   that becomes visible later was written by a transaction still running at that
//!   snapshot, or one that began after it: its id is at least `xmin`, larger than the
//!   id of every row already taken, so it sorts after any cursor handed out. Ties within
//!   one transaction are broken by `sync_seq`, unique across all tables. A long
//!   transaction only holds the feed back (by the statement timeout at most); it never
//!   makes it skip. The same holds for several server processes on one database: the
//!   ids and the snapshot are the database's, not a process's.
//!
//! [`Db::read_snapshot`]: super::Db

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::grievances::GrievanceRow;
use super::households::HouseholdRow;
use super::schema::{grievances, household_departures, households, sync_removals, users, visits};
use super::users::UserRow;
use super::visits::VisitRow;
use super::DbConnection;
use crate::domain::{AreaScope, GrievanceId, HouseholdId, UserId};

/// Where a change lies in the feed: the writing transaction (0 on SQLite), then the
/// number it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub xid: i64,
    pub seq: i64,
}

/// Rows a read may take: below this transaction id (PostgreSQL), or all it sees (SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark(Option<i64>);

/// The oldest transaction still running, read at the start of a feed read (see the module
/// documentation). Read it before the sources, on the same connection.
pub fn watermark(conn: &mut DbConnection) -> QueryResult<Watermark> {
    match conn {
        DbConnection::Sqlite(_) => Ok(Watermark(None)),
        DbConnection::Postgres(conn) => diesel::select(diesel::dsl::sql::<BigInt>(
            "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        ))
        .get_result(conn)
        .map(|xmin| Watermark(Some(xmin))),
    }
}

/// Narrows a boxed query on `$table` to the rows after `$after` and below `$below`, in
/// position order. "After" is a row-value comparison, which both engines turn into one
/// range of the source's index `(owner, sync_xid, sync_seq)`: the read starts at the
/// cursor, so its cost follows the changes it returns, not how many rows lie before.
macro_rules! after_position {
    ($query:expr, $table:ident, $after:expr, $below:expr) => {{
        let after: Position = $after;
        let mut query = $query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(concat!(
                "(",
                stringify!($table),
                ".sync_xid, ",
                stringify!($table),
                ".sync_seq) > ("
            ))
            .bind::<BigInt, _>(after.xid)
            .sql(", ")
            .bind::<BigInt, _>(after.seq)
            .sql(")"),
        );
        if let Watermark(Some(below)) = $below {
            query = query.filter($table::sync_xid.lt(below));
        }
        query.order(($table::sync_xid.asc(), $table::sync_seq.asc()))
    }};
}

/// Up to `limit` visits filed by `author`, after `after`, in position order.
pub fn visits_filed_by(
    conn: &mut DbConnection,
    author: &UserId,
    after: Position,
    below: Watermark,
    limit: i64,
) -> QueryResult<Vec<(VisitRow, Position)>> {
    let query = visits::table
        .filter(visits::author_id.eq(author))
        .into_boxed();
    let rows: Vec<(VisitRow, i64, i64)> = after_position!(query, visits, after, below)
        .limit(limit)
        .select((VisitRow::as_select(), visits::sync_xid, visits::sync_seq))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, xid, seq)| (row, Position { xid, seq }))
        .collect())
}

/// Up to `limit` households of `scope` (a district or a subdistrict), after `after`.
pub fn households_in(
    conn: &mut DbConnection,
    scope: &AreaScope,
    after: Position,
    below: Watermark,
    limit: i64,
) -> QueryResult<Vec<(HouseholdRow, Position)>> {
    let query = crate::scoped!(households::table.into_boxed(), households, scope);
    let rows: Vec<(HouseholdRow, i64, i64)> = after_position!(query, households, after, below)
        .limit(limit)
        .select((
            HouseholdRow::as_select(),
            households::sync_xid,
            households::sync_seq,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, xid, seq)| (row, Position { xid, seq }))
        .collect())
}

/// Whose grievances a source follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrievanceSource {
    ReportedBy,
    AssignedTo,
}

/// Up to `limit` grievances reported by or assigned to `user`, after `after`.
pub fn grievances_of(
    conn: &mut DbConnection,
    source: GrievanceSource,
    user: &UserId,
    after: Position,
    below: Watermark,
    limit: i64,
) -> QueryResult<Vec<(GrievanceRow, Position)>> {
    let query = match source {
        GrievanceSource::ReportedBy => grievances::table
            .filter(grievances::reporter_id.eq(user))
            .into_boxed(),
        GrievanceSource::AssignedTo => grievances::table
            .filter(grievances::assignee_id.eq(user))
            .into_boxed(),
    };
    let rows: Vec<(GrievanceRow, i64, i64)> = after_position!(query, grievances, after, below)
        .limit(limit)
        .select((
            GrievanceRow::as_select(),
            grievances::sync_xid,
            grievances::sync_seq,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, xid, seq)| (row, Position { xid, seq }))
        .collect())
}

/// The account itself, if it changed after `after`.
pub fn account(
    conn: &mut DbConnection,
    user: &UserId,
    after: Position,
    below: Watermark,
) -> QueryResult<Option<(UserRow, Position)>> {
    let query = users::table.filter(users::id.eq(user)).into_boxed();
    let row: Option<(UserRow, i64, i64)> = after_position!(query, users, after, below)
        .select((UserRow::as_select(), users::sync_xid, users::sync_seq))
        .first(conn)
        .optional()?;
    Ok(row.map(|(row, xid, seq)| (row, Position { xid, seq })))
}

/// A record that left `user_id`'s sync set while staying in the query that finds it
/// there (a grievance reassigned away from its official).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sync_removals)]
pub struct RemovalRow {
    pub user_id: UserId,
    /// `grievance` (the only kind so far).
    pub kind: String,
    pub record_id: String,
    pub created_at: NaiveDateTime,
    pub sync_xid: i64,
    pub sync_seq: i64,
}

impl RemovalRow {
    pub fn position(&self) -> Position {
        Position {
            xid: self.sync_xid,
            seq: self.sync_seq,
        }
    }
}

/// Up to `limit` removals for `user`, after `after`.
pub fn removals_for(
    conn: &mut DbConnection,
    user: &UserId,
    after: Position,
    below: Watermark,
    limit: i64,
) -> QueryResult<Vec<RemovalRow>> {
    let query = sync_removals::table
        .filter(sync_removals::user_id.eq(user))
        .into_boxed();
    after_position!(query, sync_removals, after, below)
        .limit(limit)
        .select(RemovalRow::as_select())
        .load(conn)
}

/// A household that moved out of an area (migration 21), found under the old area's codes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = household_departures)]
pub struct DepartureRow {
    pub household_id: HouseholdId,
    pub created_at: NaiveDateTime,
    pub sync_xid: i64,
    pub sync_seq: i64,
}

impl DepartureRow {
    pub fn position(&self) -> Position {
        Position {
            xid: self.sync_xid,
            seq: self.sync_seq,
        }
    }
}

/// Up to `limit` departures from `scope` (a district or a subdistrict), after `after`.
pub fn departures_from(
    conn: &mut DbConnection,
    scope: &AreaScope,
    after: Position,
    below: Watermark,
    limit: i64,
) -> QueryResult<Vec<DepartureRow>> {
    let query = crate::scoped!(
        household_departures::table.into_boxed(),
        household_departures,
        scope
    );
    after_position!(query, household_departures, after, below)
        .limit(limit)
        .select(DepartureRow::as_select())
        .load(conn)
}

/// Households by id, however they stand now (to judge a departure again).
pub fn households_by_id(
    conn: &mut DbConnection,
    ids: &[HouseholdId],
) -> QueryResult<Vec<HouseholdRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    households::table
        .filter(households::id.eq_any(ids))
        .select(HouseholdRow::as_select())
        .load(conn)
}

/// Grievances by id, however they stand now (to judge a removal again).
pub fn grievances_by_id(
    conn: &mut DbConnection,
    ids: &[GrievanceId],
) -> QueryResult<Vec<GrievanceRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    grievances::table
        .filter(grievances::id.eq_any(ids))
        .select(GrievanceRow::as_select())
        .load(conn)
}

// No "touch" is needed: every change that alters a record's document updates its row
// (a photo bumps `photos_received`, a linked duplicate bumps `updated_at`), and the
// triggers move the row on any update.

/// Removes removals and household departures written before `cutoff`: a cursor old
/// enough to need them is refused.
pub fn prune_removals(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    let departures = diesel::delete(
        household_departures::table.filter(household_departures::created_at.lt(cutoff)),
    )
    .execute(conn)?;
    let removals =
        diesel::delete(sync_removals::table.filter(sync_removals::created_at.lt(cutoff)))
            .execute(conn)?;
    Ok(departures + removals)
}
