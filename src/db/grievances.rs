//! The `grievances`, `grievance_events` and `grievance_comments` tables.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{grievance_comments, grievance_events, grievances};
use super::{DbConnection, Filed};
use crate::domain::{Bbox, Category, GeoPoint, Priority, Status, Visibility};
use crate::geo::{bounding_box, haversine_m};
use crate::grievances::{DUPLICATE_RADIUS_M, DUPLICATE_WINDOW_DAYS};
use crate::scoped;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = grievances, treat_none_as_null = true)]
pub struct GrievanceRow {
    pub id: String,
    pub reporter_id: String,
    pub reported_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub declared_area_code: Option<String>,
    pub area_code: String,
    pub province_code: String,
    pub district_code: Option<String>,
    pub category: Category,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub target_groups: String,
    pub visit_id: Option<String>,
    pub complainant_name: Option<String>,
    pub complainant_consent: Option<bool>,
    pub phone_cipher: Option<String>,
    pub phone_hash: Option<String>,
    pub phone_last4: Option<String>,
    pub national_id_cipher: Option<String>,
    pub national_id_hash: Option<String>,
    pub national_id_last4: Option<String>,
    pub status: Status,
    pub version: i64,
    pub assignee_id: Option<String>,
    pub referred_to: Option<String>,
    pub due_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub reopen_count: i64,
    pub overdue_notified: bool,
    pub content_hash: String,
    pub anonymised_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grievance_events)]
pub struct EventRow {
    pub id: String,
    pub grievance_id: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor_id: String,
    pub note: Option<String>,
    pub at: NaiveDateTime,
    /// Seconds since the grievance was filed.
    pub elapsed_seconds: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grievance_comments)]
pub struct CommentRow {
    pub id: String,
    pub grievance_id: String,
    pub author_id: String,
    pub body: String,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

/// Files a grievance, idempotently on its id (see `visits::file`), with its first event.
pub fn file(conn: &mut DbConnection, row: GrievanceRow) -> QueryResult<Filed<GrievanceRow>> {
    let now = row.created_at;
    let insert = diesel::insert_into(grievances::table)
        .values(&row)
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConnection::Sqlite(conn) => insert.execute(conn)?,
        DbConnection::Postgres(conn) => insert.execute(conn)?,
    };
    if inserted == 1 {
        let event = NewEvent {
            action: "create",
            from: None,
            to: Status::Submitted,
            actor_id: &row.reporter_id,
            note: None,
        };
        append_event(conn, &row, event, now)?;
        return Ok(Filed::Created(Box::new(row)));
    }
    let stored = grievances::table
        .find(&row.id)
        .select(GrievanceRow::as_select())
        .first(conn)?;
    if stored.reporter_id != row.reporter_id || stored.content_hash != row.content_hash {
        return Ok(Filed::Conflict);
    }
    Ok(Filed::Replayed(Box::new(stored)))
}

/// A history entry about to be written.
pub struct NewEvent<'a> {
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub actor_id: &'a str,
    pub note: Option<&'a str>,
}

pub fn append_event(
    conn: &mut DbConnection,
    grievance: &GrievanceRow,
    event: NewEvent,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(grievance_events::table)
        .values(EventRow {
            id: uuid::Uuid::new_v4().to_string(),
            grievance_id: grievance.id.clone(),
            action: event.action.to_owned(),
            from_status: event.from,
            to_status: event.to,
            actor_id: event.actor_id.to_owned(),
            note: event.note.map(str::to_owned),
            at,
            elapsed_seconds: (at - grievance.created_at).num_seconds().max(0),
        })
        .execute(conn)?;
    Ok(())
}

/// Filters a (boxed) query of grievances to what a reader may see ([`Visibility`]).
macro_rules! visible {
    ($query:expr, $visibility:expr) => {{
        let mut query = scoped!($query, grievances, &$visibility.scope);
        if let Some(reporter) = &$visibility.only_owner {
            query = query.filter(grievances::reporter_id.eq(reporter.clone()));
        }
        query
    }};
}

pub fn find_visible(
    conn: &mut DbConnection,
    id: &str,
    visibility: &Visibility,
) -> QueryResult<Option<GrievanceRow>> {
    let query = grievances::table.filter(grievances::id.eq(id)).into_boxed();
    visible!(query, visibility)
        .select(GrievanceRow::as_select())
        .first(conn)
        .optional()
}

/// Locks a grievance's row until the transaction ends, so two transitions queue instead
/// of overwriting each other. (SQLite writers are serialised already.)
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(conn) = conn {
        grievances::table
            .find(id)
            .select(grievances::id)
            .for_update()
            .first::<String>(conn)
            .optional()?;
    }
    Ok(())
}

pub fn update(conn: &mut DbConnection, row: &GrievanceRow) -> QueryResult<()> {
    diesel::update(grievances::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(grievances::table.find(id))
        .set(grievances::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest filed first.
    NewestFirst,
    /// Least recently updated first: for pulling changes since a point in time.
    UpdatedAscending,
}

#[derive(Debug, Clone, Default)]
pub struct GrievanceFilter {
    pub statuses: Vec<Status>,
    pub category: Option<Category>,
    pub priority: Option<Priority>,
    pub assignee: Option<String>,
    /// Some(true): past due and still open; Some(false): not overdue.
    pub overdue: Option<bool>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub updated_since: Option<NaiveDateTime>,
    pub bbox: Option<Bbox>,
}

/// The statuses that still need work (`Status::is_open`), for SQL filters.
const OPEN: [Status; 5] = [
    Status::Submitted,
    Status::Accepted,
    Status::Assigned,
    Status::InProgress,
    Status::Referred,
];

pub fn list(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &GrievanceFilter,
    order: Order,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<GrievanceRow>> {
    let query = grievances::table.into_boxed();
    let mut query = visible!(query, visibility);
    if !filter.statuses.is_empty() {
        query = query.filter(grievances::status.eq_any(filter.statuses.clone()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(grievances::category.eq(*category));
    }
    if let Some(priority) = &filter.priority {
        query = query.filter(grievances::priority.eq(*priority));
    }
    if let Some(assignee) = &filter.assignee {
        query = query.filter(grievances::assignee_id.eq(assignee.clone()));
    }
    match filter.overdue {
        Some(true) => {
            query = query
                .filter(grievances::due_at.lt(now))
                .filter(grievances::status.eq_any(OPEN))
        }
        Some(false) => {
            query = query.filter(
                grievances::due_at
                    .ge(now)
                    .or(grievances::status.ne_all(OPEN)),
            )
        }
        None => {}
    }
    if let Some(from) = filter.from {
        query = query.filter(grievances::created_at.ge(from));
    }
    // With a cursor, the cursor is the bound on its side of the range (see `after_key!`).
    let newest_first_cursor = after.is_some() && order == Order::NewestFirst;
    if let Some(to) = filter.to.filter(|_| !newest_first_cursor) {
        query = query.filter(grievances::created_at.lt(to));
    }
    let updated_cursor = after.is_some() && order == Order::UpdatedAscending;
    if let Some(since) = filter.updated_since.filter(|_| !updated_cursor) {
        query = query.filter(grievances::updated_at.gt(since));
    }
    if let Some(bbox) = filter.bbox {
        query = query
            .filter(grievances::lat.between(bbox.min_lat, bbox.max_lat))
            .filter(grievances::lon.between(bbox.min_lon, bbox.max_lon));
    }
    query = match (order, after) {
        (Order::NewestFirst, Some((at, id))) => crate::after_key!(
            query,
            grievances::created_at,
            grievances::id,
            at,
            id,
            descending
        ),
        (Order::UpdatedAscending, Some((at, id))) => {
            crate::after_key!(query, grievances::updated_at, grievances::id, at, id)
        }
        (_, None) => query,
    };
    query = match order {
        Order::NewestFirst => query.order((grievances::created_at.desc(), grievances::id.desc())),
        Order::UpdatedAscending => {
            query.order((grievances::updated_at.asc(), grievances::id.asc()))
        }
    };
    query
        .limit(limit)
        .select(GrievanceRow::as_select())
        .load(conn)
}

/// The sort key of a row under an order, for cursors.
pub fn order_key(row: &GrievanceRow, order: Order) -> (NaiveDateTime, String) {
    match order {
        Order::NewestFirst => (row.created_at, row.id.clone()),
        Order::UpdatedAscending => (row.updated_at, row.id.clone()),
    }
}

/// Each grievance's events and comments, by grievance id.
pub type HistoryAndComments = (
    HashMap<String, Vec<EventRow>>,
    HashMap<String, Vec<CommentRow>>,
);

/// History and comments for a set of grievances, in two queries.
pub fn events_and_comments(
    conn: &mut DbConnection,
    ids: &[&str],
    include_internal: bool,
) -> QueryResult<HistoryAndComments> {
    let mut events: HashMap<String, Vec<EventRow>> = HashMap::new();
    for event in grievance_events::table
        .filter(grievance_events::grievance_id.eq_any(ids))
        .order((grievance_events::at.asc(), grievance_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)?
    {
        events
            .entry(event.grievance_id.clone())
            .or_default()
            .push(event);
    }
    let mut query = grievance_comments::table
        .filter(grievance_comments::grievance_id.eq_any(ids))
        .into_boxed();
    if !include_internal {
        query = query.filter(grievance_comments::internal.eq(false));
    }
    let mut comments: HashMap<String, Vec<CommentRow>> = HashMap::new();
    for comment in query
        .order((
            grievance_comments::created_at.asc(),
            grievance_comments::id.asc(),
        ))
        .select(CommentRow::as_select())
        .load(conn)?
    {
        comments
            .entry(comment.grievance_id.clone())
            .or_default()
            .push(comment);
    }
    Ok((events, comments))
}

pub fn add_comment(conn: &mut DbConnection, comment: &CommentRow) -> QueryResult<()> {
    diesel::insert_into(grievance_comments::table)
        .values(comment)
        .execute(conn)?;
    Ok(())
}

/// Open grievances of the same category within 200 m, filed within 14 days of this one,
/// that the reader may see: narrowed by bounding box in SQL, then by exact distance.
pub fn possible_duplicates(
    conn: &mut DbConnection,
    row: &GrievanceRow,
    visibility: &Visibility,
) -> QueryResult<Vec<String>> {
    let center = GeoPoint {
        lat: row.lat,
        lon: row.lon,
    };
    let b = bounding_box(center, DUPLICATE_RADIUS_M);
    let window = Duration::days(DUPLICATE_WINDOW_DAYS);
    let query = grievances::table
        .filter(grievances::category.eq(&row.category))
        .filter(grievances::id.ne(&row.id))
        .filter(grievances::status.eq_any(OPEN))
        .filter(grievances::lat.between(b.min_lat, b.max_lat))
        .filter(grievances::lon.between(b.min_lon, b.max_lon))
        .filter(grievances::created_at.between(row.created_at - window, row.created_at + window))
        .into_boxed();
    let candidates: Vec<(String, f64, f64)> = visible!(query, visibility)
        .order(grievances::created_at.asc())
        .select((grievances::id, grievances::lat, grievances::lon))
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .filter(|(_, lat, lon)| {
            haversine_m(
                center,
                GeoPoint {
                    lat: *lat,
                    lon: *lon,
                },
            ) <= DUPLICATE_RADIUS_M
        })
        .map(|(id, _, _)| id)
        .collect())
}

/// Open grievances past their deadline that have not been announced yet; marks them.
pub fn take_newly_overdue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<GrievanceRow>> {
    let rows: Vec<GrievanceRow> = grievances::table
        .filter(grievances::overdue_notified.eq(false))
        .filter(grievances::status.eq_any(OPEN))
        .filter(grievances::due_at.lt(now))
        .order(grievances::due_at.asc())
        .limit(limit)
        .select(GrievanceRow::as_select())
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    diesel::update(grievances::table.filter(grievances::id.eq_any(&ids)))
        .set(grievances::overdue_notified.eq(true))
        .execute(conn)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_statuses_of_sql_filters_are_the_workflows() {
        let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(OPEN.to_vec(), open);
    }
}
