//! The `grievances`, `grievance_events` and `grievance_comments` tables.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::AsExprOf;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};

use super::schema::{grievance_comments, grievance_events, grievances};
use super::{DbConnection, Filed};
use crate::domain::{
    Bbox, Category, Due, GeoPoint, GrievanceId, HouseholdId, Priority, Status, UserId, Visibility,
    VisitId,
};
use crate::geo::{bounding_box, haversine_m};
use crate::scoped;

/// A `None` is written as NULL, both when inserted (rather than left to a column default:
/// none of these columns has one, and so SQLite takes many rows in one statement) and when
/// updated.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = grievances,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct GrievanceRow {
    pub id: GrievanceId,
    pub reporter_id: UserId,
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
    pub visit_id: Option<VisitId>,
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
    pub assignee_id: Option<UserId>,
    pub referred_to: Option<String>,
    pub due_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub reopen_count: i64,
    pub overdue_notified: bool,
    pub content_hash: String,
    pub anonymised_at: Option<NaiveDateTime>,
    /// The grievance this one duplicates, while its status is `duplicate`.
    pub duplicate_of: Option<GrievanceId>,
    /// How many photos the phone said it would send.
    pub photos_expected: i32,
    /// How many arrived: kept by `db::photos::add` alone, never written back from a
    /// row read earlier.
    #[diesel(skip_update)]
    pub photos_received: i32,
    /// Placement and photo flags (`placement::Flag` names joined by commas): set at
    /// filing, joined by `db::photos::add`, never written back from a row read earlier.
    #[diesel(skip_update)]
    pub flags: String,
    /// The household of the register it concerns, if the phone named one.
    pub household_id: Option<HouseholdId>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grievance_events)]
pub struct EventRow {
    pub id: String,
    pub grievance_id: GrievanceId,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor_id: UserId,
    pub note: Option<String>,
    pub at: NaiveDateTime,
    /// Seconds since the grievance was filed.
    pub elapsed_seconds: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grievance_comments)]
pub struct CommentRow {
    pub id: String,
    pub grievance_id: GrievanceId,
    pub author_id: UserId,
    pub body: String,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

/// Files a grievance, idempotently on its id (see `visits::file`), with its first event.
pub fn file(conn: &mut DbConnection, row: GrievanceRow) -> QueryResult<Filed<GrievanceRow>> {
    let now = row.created_at;
    if crate::insert_if_absent!(conn, grievances::table, &row) {
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
    let same = stored.reporter_id == row.reporter_id && stored.content_hash == row.content_hash;
    Ok(Filed::earlier(stored, same))
}

/// A history entry about to be written.
pub struct NewEvent<'a> {
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub actor_id: &'a UserId,
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
            actor_id: event.actor_id.clone(),
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
    id: &GrievanceId,
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
pub fn lock(conn: &mut DbConnection, id: &GrievanceId) -> QueryResult<()> {
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

pub fn touch(conn: &mut DbConnection, id: &GrievanceId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(grievances::table.find(id))
        .set(grievances::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// The orders a list of grievances is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest filed first.
    NewestFirst,
    /// Oldest filed first.
    OldestFirst,
    /// Earliest deadline first.
    DueFirst,
    /// Latest deadline first.
    DueLast,
    /// Most urgent first (`Priority::ALL`'s order), then earliest deadline.
    PriorityFirst,
    /// Least recently updated first: for pulling changes since a point in time.
    UpdatedAscending,
}

impl Order {
    /// The order's name, which its cursors carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::NewestFirst => "-created_at",
            Self::OldestFirst => "created_at",
            Self::DueFirst => "due_at",
            Self::DueLast => "-due_at",
            Self::PriorityFirst => "priority",
            Self::UpdatedAscending => "updated_at",
        }
    }
}

/// Where a row stands in an order: its priority (only under [`Order::PriorityFirst`]),
/// the order's time and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub priority: Option<Priority>,
    pub at: NaiveDateTime,
    pub id: String,
}

/// Whose grievances: nobody's yet, or one person's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Nobody,
    User(UserId),
}

/// The filters of `GET /grievances`, already validated. An empty list filters nothing; a
/// list of several matches any of them.
#[derive(Debug, Clone, Default)]
pub struct GrievanceFilter {
    pub statuses: Vec<Status>,
    pub categories: Vec<Category>,
    pub priorities: Vec<Priority>,
    pub assignee: Option<Assignee>,
    /// Some(true): past due and still open; Some(false): not overdue.
    pub overdue: Option<bool>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub updated_since: Option<NaiveDateTime>,
    /// Text the title or the description holds, in any case.
    pub text: Option<String>,
    pub bbox: Option<Bbox>,
    /// `Some(true)`: fewer photos arrived than expected; `Some(false)`: all of them.
    pub photos_missing: Option<bool>,
    /// Open grievances past their deadline, within a day of it, or further off.
    pub due: Option<Due>,
}

/// The statuses that still need work (`Status::is_open`), for SQL filters.
const OPEN: [Status; 5] = [
    Status::Submitted,
    Status::Accepted,
    Status::Assigned,
    Status::InProgress,
    Status::Referred,
];

type Backend = <DbConnection as Connection>::Backend;

/// The grievances `visibility` shows, as a query to narrow further.
pub(super) fn visible_to<'a>(visibility: &Visibility) -> grievances::BoxedQuery<'a, Backend> {
    visible!(grievances::table.into_boxed(), visibility)
}

diesel::define_sql_function! {
    /// Lower case, for a search in any case. (On SQLite, of ASCII letters only; Thai has
    /// no case.)
    fn lower(text: Text) -> Text;
}

/// The grievances `visibility` shows that pass `filter`. `keyed`: a cursor will bound
/// the order's time, so the filter's own bound on that side is left out (see
/// `after_key!`).
fn matching<'a>(
    visibility: &Visibility,
    filter: &'a GrievanceFilter,
    order: Order,
    keyed: bool,
    now: NaiveDateTime,
) -> grievances::BoxedQuery<'a, Backend> {
    let query = grievances::table.into_boxed();
    let mut query = visible!(query, visibility);
    if !filter.statuses.is_empty() {
        query = query.filter(grievances::status.eq_any(&filter.statuses));
    }
    if !filter.categories.is_empty() {
        query = query.filter(grievances::category.eq_any(&filter.categories));
    }
    if !filter.priorities.is_empty() {
        query = query.filter(grievances::priority.eq_any(&filter.priorities));
    }
    match &filter.assignee {
        Some(Assignee::Nobody) => query = query.filter(grievances::assignee_id.is_null()),
        Some(Assignee::User(assignee)) => {
            query = query.filter(grievances::assignee_id.eq(assignee.clone()))
        }
        None => {}
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
    if let Some(due) = filter.due {
        let soon = now + chrono::Duration::hours(Due::SOON_HOURS);
        query = query.filter(grievances::status.eq_any(OPEN));
        query = match due {
            Due::Overdue => query.filter(grievances::due_at.lt(now)),
            Due::DueSoon => query
                .filter(grievances::due_at.ge(now))
                .filter(grievances::due_at.lt(soon)),
            Due::OnTime => query.filter(grievances::due_at.ge(soon)),
        };
    }
    if let Some(from) = filter
        .from
        .filter(|_| !(keyed && order == Order::OldestFirst))
    {
        query = query.filter(grievances::created_at.ge(from));
    }
    if let Some(to) = filter
        .to
        .filter(|_| !(keyed && order == Order::NewestFirst))
    {
        query = query.filter(grievances::created_at.lt(to));
    }
    if let Some(since) = filter
        .updated_since
        .filter(|_| !(keyed && order == Order::UpdatedAscending))
    {
        query = query.filter(grievances::updated_at.gt(since));
    }
    if let Some(text) = &filter.text {
        let pattern = super::like_containing(&text.to_lowercase());
        query = query.filter(
            lower(grievances::title)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(grievances::description).like(pattern).escape('\\')),
        );
    }
    if let Some(bbox) = filter.bbox {
        query = query
            .filter(grievances::lat.between(bbox.min_lat, bbox.max_lat))
            .filter(grievances::lon.between(bbox.min_lon, bbox.max_lon));
    }
    match filter.photos_missing {
        // The same expression as the partial index `grievances_photos_missing`.
        Some(true) => {
            query = query.filter(grievances::photos_received.lt(grievances::photos_expected))
        }
        Some(false) => {
            query = query.filter(grievances::photos_received.ge(grievances::photos_expected))
        }
        None => {}
    }
    query
}

/// One page of grievances in `order`, strictly after the cursor's key.
pub fn list(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &GrievanceFilter,
    order: Order,
    after: Option<SortKey>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<GrievanceRow>> {
    use crate::after_key;
    let mut query = matching(visibility, filter, order, after.is_some(), now);
    if let Some(SortKey { priority, at, id }) = after {
        query = match order {
            Order::NewestFirst => after_key!(
                query,
                grievances::created_at,
                grievances::id,
                at,
                id,
                descending
            ),
            Order::OldestFirst => after_key!(query, grievances::created_at, grievances::id, at, id),
            Order::DueFirst => after_key!(query, grievances::due_at, grievances::id, at, id),
            Order::DueLast => {
                after_key!(
                    query,
                    grievances::due_at,
                    grievances::id,
                    at,
                    id,
                    descending
                )
            }
            Order::UpdatedAscending => {
                after_key!(query, grievances::updated_at, grievances::id, at, id)
            }
            Order::PriorityFirst => {
                // Later in the key's own priority, or in any less urgent one.
                let priority = priority.unwrap_or(Priority::Urgent);
                let less_urgent: Vec<Priority> = Priority::ALL
                    .into_iter()
                    .skip_while(|p| *p != priority)
                    .skip(1)
                    .collect();
                query.filter(
                    grievances::priority
                        .eq(priority)
                        .and(
                            grievances::due_at
                                .gt(at)
                                .or(grievances::due_at.eq(at).and(grievances::id.gt(id))),
                        )
                        .or(grievances::priority.eq_any(less_urgent)),
                )
            }
        };
    }
    query = match order {
        Order::NewestFirst => query.order((grievances::created_at.desc(), grievances::id.desc())),
        Order::OldestFirst => query.order((grievances::created_at.asc(), grievances::id.asc())),
        Order::DueFirst => query.order((grievances::due_at.asc(), grievances::id.asc())),
        Order::DueLast => query.order((grievances::due_at.desc(), grievances::id.desc())),
        Order::UpdatedAscending => {
            query.order((grievances::updated_at.asc(), grievances::id.asc()))
        }
        // A match sorts after a mismatch, so each `= p DESC` puts that priority first.
        Order::PriorityFirst => query.order((
            grievances::priority.eq(Priority::Urgent).desc(),
            grievances::priority.eq(Priority::High).desc(),
            grievances::priority.eq(Priority::Normal).desc(),
            grievances::due_at.asc(),
            grievances::id.asc(),
        )),
    };
    query
        .limit(limit)
        .select(GrievanceRow::as_select())
        .load(conn)
}

/// The sort key of a row under an order, for cursors.
pub fn order_key(row: &GrievanceRow, order: Order) -> SortKey {
    let at = match order {
        Order::NewestFirst | Order::OldestFirst => row.created_at,
        Order::DueFirst | Order::DueLast | Order::PriorityFirst => row.due_at,
        Order::UpdatedAscending => row.updated_at,
    };
    SortKey {
        priority: (order == Order::PriorityFirst).then_some(row.priority),
        at,
        id: row.id.to_string(),
    }
}

/// How many grievances `visibility` shows that pass `filter`.
pub fn count(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &GrievanceFilter,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    matching(visibility, filter, Order::NewestFirst, false, now)
        .count()
        .get_result(conn)
}

/// The points of those grievances, for counting them within a circle.
pub fn points(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &GrievanceFilter,
    now: NaiveDateTime,
) -> QueryResult<Vec<(f64, f64)>> {
    matching(visibility, filter, Order::NewestFirst, false, now)
        .select((grievances::lat, grievances::lon))
        .load(conn)
}

/// Each grievance's events and comments, by grievance id.
pub type HistoryAndComments = (
    HashMap<GrievanceId, Vec<EventRow>>,
    HashMap<GrievanceId, Vec<CommentRow>>,
);

/// History and comments for a set of grievances, in two queries.
pub fn events_and_comments(
    conn: &mut DbConnection,
    ids: &[&GrievanceId],
    include_internal: bool,
) -> QueryResult<HistoryAndComments> {
    let mut events: HashMap<GrievanceId, Vec<EventRow>> = HashMap::new();
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
    let mut comments: HashMap<GrievanceId, Vec<CommentRow>> = HashMap::new();
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

/// Adds a comment, idempotently on its id: the unique key decides, so two copies sent at
/// once store one. The same comment again (same grievance, author, body and visibility)
/// is `Replayed` with what is stored; anything else under that id is a `Conflict`.
pub fn add_comment(conn: &mut DbConnection, comment: CommentRow) -> QueryResult<Filed<CommentRow>> {
    if crate::insert_if_absent!(conn, grievance_comments::table, &comment) {
        return Ok(Filed::Created(Box::new(comment)));
    }
    let stored = grievance_comments::table
        .find(&comment.id)
        .select(CommentRow::as_select())
        .first(conn)?;
    let same = stored.grievance_id == comment.grievance_id
        && stored.author_id == comment.author_id
        && stored.body == comment.body
        && stored.internal == comment.internal;
    Ok(Filed::earlier(stored, same))
}

/// The duplicates of each of `parents` that `visibility` shows, oldest first, by parent id.
/// Parents without any are left out.
pub fn duplicates_of(
    conn: &mut DbConnection,
    parents: &[&GrievanceId],
    visibility: &Visibility,
) -> QueryResult<HashMap<GrievanceId, Vec<String>>> {
    let mut duplicates: HashMap<GrievanceId, Vec<String>> = HashMap::new();
    for ids in parents.chunks(IDS_PER_QUERY) {
        let query = grievances::table
            .filter(grievances::duplicate_of.eq_any(ids))
            .into_boxed();
        let rows: Vec<(String, Option<GrievanceId>)> = visible!(query, visibility)
            .order((grievances::created_at.asc(), grievances::id.asc()))
            .select((grievances::id, grievances::duplicate_of))
            .load(conn)?;
        for (id, parent) in rows {
            if let Some(parent) = parent {
                duplicates.entry(parent).or_default().push(id);
            }
        }
    }
    Ok(duplicates)
}

/// Every duplicate of `parent`, whoever may see it.
pub fn all_duplicates_of(
    conn: &mut DbConnection,
    parent: &GrievanceId,
) -> QueryResult<Vec<GrievanceId>> {
    grievances::table
        .filter(grievances::duplicate_of.eq(parent))
        .order((grievances::created_at.asc(), grievances::id.asc()))
        .select(grievances::id)
        .load::<String>(conn)
        .map(|ids| ids.into_iter().map(GrievanceId::unchecked).collect())
}

/// The current status of each of `ids` that exists, whoever may see it: what a
/// duplicate's reader learns of its parent (`parent_status`), and nothing more.
pub fn statuses(
    conn: &mut DbConnection,
    ids: &[&GrievanceId],
) -> QueryResult<HashMap<GrievanceId, Status>> {
    let mut statuses = HashMap::new();
    for ids in ids.chunks(IDS_PER_QUERY) {
        let rows: Vec<(String, Status)> = grievances::table
            .filter(grievances::id.eq_any(ids))
            .select((grievances::id, grievances::status))
            .load(conn)?;
        statuses.extend(
            rows.into_iter()
                .map(|(id, status)| (GrievanceId::unchecked(id), status)),
        );
    }
    Ok(statuses)
}

/// Marks `ids` as changed at `now` (what `updated_since` and the sync feed read), without
/// a new version: their own workflow state did not change.
pub fn touch_all(
    conn: &mut DbConnection,
    ids: &[GrievanceId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    for ids in ids.chunks(IDS_PER_QUERY) {
        diesel::update(grievances::table.filter(grievances::id.eq_any(ids)))
            .set(grievances::updated_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

/// How many ids one query binds at most: a whole page (500 rows) in one, and far below
/// SQLite's limit of 32,766 bound parameters for a longer list (a subject-access request).
const IDS_PER_QUERY: usize = 1_000;

diesel::alias!(grievances as page_row: PageRow);

// `column + offset` on the columns of an alias, which diesel's own `+` does not take.
diesel::infix_operator!(Plus, " + ", Double);

fn plus<C>(column: C, offset: f64) -> Plus<C, AsExprOf<f64, Double>>
where
    C: Expression<SqlType = Double>,
{
    Plus::new(column, offset.into_sql::<Double>())
}

/// How near two grievances of one category must be to be possible duplicates (the rule
/// itself is `grievances::DUPLICATES`).
#[derive(Debug, Clone, Copy)]
pub struct Nearness {
    pub radius_m: f64,
    pub window: Duration,
}

/// The possible duplicates of each of `rows`, by row id: open grievances of the same
/// category `near` it in place and filing time, that the reader may see, oldest first.
/// Rows without any are left out.
///
/// Two queries for a page, not one a row: `nearby_open` finds every row's nearby open
/// grievances, then one query keeps those the reader may see. (For a reader confined to
/// an area, SQLite, which keeps no statistics, reads all of that area's entries in a
/// covering index rather than looking the ids up: 0.1 ms for a province of 722.)
pub fn possible_duplicates(
    conn: &mut DbConnection,
    rows: &[GrievanceRow],
    visibility: &Visibility,
    near: Nearness,
) -> QueryResult<HashMap<String, Vec<String>>> {
    let mut duplicates: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in rows.chunks(IDS_PER_QUERY) {
        let pairs = nearby_open(conn, chunk, near)?;
        let candidates: HashSet<&str> = pairs.iter().map(|(_, id)| id.as_str()).collect();
        let candidates: Vec<&str> = candidates.into_iter().collect();
        let mut visible = HashSet::new();
        for ids in candidates.chunks(IDS_PER_QUERY) {
            let query = grievances::table
                .filter(grievances::id.eq_any(ids))
                .into_boxed();
            visible.extend(
                visible!(query, visibility)
                    .select(grievances::id)
                    .load::<String>(conn)?,
            );
        }
        for (row_id, id) in pairs {
            if visible.contains(&id) {
                duplicates.entry(row_id).or_default().push(id);
            }
        }
    }
    Ok(duplicates)
}

/// (row id, grievance id) for each open grievance of a row's category `near` it, whoever
/// may see it, oldest first.
///
/// The SQL narrows only by what the place index holds: the row's category and a box
/// around the row as wide as the widest row's bounding box. The rest is checked here,
/// pair by pair: being open, the row's window and the exact distance. Any other condition
/// in the SQL gives a planner a wrong way in. SQLite, which keeps no statistics here,
/// took the status or the reader's area for a handful of rows, started from all of them
/// and looked each one up against the page (an admin's page of 500 among 50,000
/// grievances: 14 s). PostgreSQL's generic plan, used once the prepared statement has
/// run five times, took a time range for a handful of rows too and read all of it again
/// for each row of the page (1.2 s).
fn nearby_open(
    conn: &mut DbConnection,
    rows: &[GrievanceRow],
    near: Nearness,
) -> QueryResult<Vec<(String, String)>> {
    let window = near.window;
    let by_id: HashMap<&str, &GrievanceRow> =
        rows.iter().map(|row| (row.id.as_str(), row)).collect();
    let ids: Vec<&str> = by_id.keys().copied().collect();
    let (lat_reach, lon_reach) = reach(rows, near.radius_m);
    let (row_lat, row_lon) = (
        page_row.field(grievances::lat),
        page_row.field(grievances::lon),
    );
    let neighbours: Vec<(String, String, f64, f64, NaiveDateTime, Status)> = grievances::table
        .inner_join(
            page_row.on(page_row
                .field(grievances::category)
                .eq(grievances::category)
                .and(page_row.field(grievances::id).ne(grievances::id))
                .and(grievances::lat.between(plus(row_lat, -lat_reach), plus(row_lat, lat_reach)))
                .and(grievances::lon.between(plus(row_lon, -lon_reach), plus(row_lon, lon_reach)))),
        )
        .filter(page_row.field(grievances::id).eq_any(ids))
        .order((grievances::created_at.asc(), grievances::id.asc()))
        .select((
            page_row.field(grievances::id),
            grievances::id,
            grievances::lat,
            grievances::lon,
            grievances::created_at,
            grievances::status,
        ))
        .load(conn)?;
    Ok(neighbours
        .into_iter()
        .filter(|(row_id, _, lat, lon, filed, status)| {
            let row = by_id[row_id.as_str()];
            let distance = haversine_m(
                GeoPoint {
                    lat: row.lat,
                    lon: row.lon,
                },
                GeoPoint {
                    lat: *lat,
                    lon: *lon,
                },
            );
            status.is_open()
                && distance <= near.radius_m
                && (row.created_at - window..=row.created_at + window).contains(filed)
        })
        .map(|(row_id, id, ..)| (row_id, id))
        .collect())
}

/// How far from its row, in degrees of latitude and of longitude, a duplicate of any of
/// `rows` can lie: the farthest reach of their bounding boxes.
fn reach(rows: &[GrievanceRow], radius_m: f64) -> (f64, f64) {
    rows.iter().fold((0.0, 0.0), |(lat_reach, lon_reach), row| {
        let b = bounding_box(
            GeoPoint {
                lat: row.lat,
                lon: row.lon,
            },
            radius_m,
        );
        (
            f64::max(lat_reach, (row.lat - b.min_lat).max(b.max_lat - row.lat)),
            f64::max(lon_reach, (row.lon - b.min_lon).max(b.max_lon - row.lon)),
        )
    })
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

/// The priority and deadline of each open grievance `visibility` shows that is due before
/// `until` (overdue ones included): what the deadline overview counts.
pub fn open_due_before(
    conn: &mut DbConnection,
    visibility: &Visibility,
    until: NaiveDateTime,
) -> QueryResult<Vec<(Priority, NaiveDateTime)>> {
    let query = grievances::table.into_boxed();
    visible!(query, visibility)
        .filter(grievances::status.eq_any(OPEN))
        .filter(grievances::due_at.lt(until))
        .select((grievances::priority, grievances::due_at))
        .load(conn)
}

/// Grievances resolved at or after `since`, later than their deadline, latest first.
pub fn resolved_late_since(
    conn: &mut DbConnection,
    visibility: &Visibility,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<GrievanceRow>> {
    let query = grievances::table.into_boxed();
    visible!(query, visibility)
        .filter(grievances::resolved_at.ge(since))
        .filter(grievances::resolved_at.gt(grievances::due_at.nullable()))
        .order(grievances::resolved_at.desc())
        .limit(limit)
        .select(GrievanceRow::as_select())
        .load(conn)
}

/// One assigned grievance as the workload table counts it.
#[derive(Debug, Clone, Queryable)]
pub struct Load {
    pub assignee_id: Option<UserId>,
    pub status: Status,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

/// Every assigned grievance `visibility` shows that is open, or was resolved at or after
/// `resolved_since`.
pub fn assigned_load(
    conn: &mut DbConnection,
    visibility: &Visibility,
    resolved_since: NaiveDateTime,
) -> QueryResult<Vec<Load>> {
    let query = grievances::table.into_boxed();
    visible!(query, visibility)
        .filter(grievances::assignee_id.is_not_null())
        .filter(
            grievances::status
                .eq_any(OPEN)
                .or(grievances::resolved_at.ge(resolved_since)),
        )
        .select((
            grievances::assignee_id,
            grievances::status,
            grievances::due_at,
            grievances::created_at,
            grievances::resolved_at,
        ))
        .load(conn)
}

/// What narrows a list beyond its other filters: which statuses, where against the
/// deadline, whose. The console's tabs are such narrowings of one filter.
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    pub statuses: Vec<Status>,
    pub due: Option<Due>,
    pub assignee: Option<Assignee>,
}

impl Narrowing {
    /// The narrowing `filter` makes; the rest of it stays.
    pub fn take_from(filter: &mut GrievanceFilter) -> Self {
        Self {
            statuses: std::mem::take(&mut filter.statuses),
            due: filter.due.take(),
            assignee: filter.assignee.take(),
        }
    }

    fn condition(
        &self,
        now: NaiveDateTime,
    ) -> Box<dyn BoxableExpression<grievances::table, Backend, SqlType = diesel::sql_types::Bool>>
    {
        type Condition = Box<
            dyn BoxableExpression<grievances::table, Backend, SqlType = diesel::sql_types::Bool>,
        >;
        // The condition that holds for every row. (Not `id IS NOT NULL`: naming a column
        // outside the covering index would send every counted row to the table.)
        let mut condition: Condition = Box::new(true.into_sql::<diesel::sql_types::Bool>());
        if !self.statuses.is_empty() {
            condition = Box::new(condition.and(grievances::status.eq_any(self.statuses.clone())));
        }
        if let Some(due) = self.due {
            let soon = now + Duration::hours(Due::SOON_HOURS);
            condition = Box::new(condition.and(grievances::status.eq_any(OPEN)));
            condition = match due {
                Due::Overdue => Box::new(condition.and(grievances::due_at.lt(now))),
                Due::DueSoon => Box::new(
                    condition
                        .and(grievances::due_at.ge(now))
                        .and(grievances::due_at.lt(soon)),
                ),
                Due::OnTime => Box::new(condition.and(grievances::due_at.ge(soon))),
            };
        }
        match &self.assignee {
            Some(Assignee::Nobody) => {
                condition = Box::new(condition.and(grievances::assignee_id.is_null()))
            }
            Some(Assignee::User(id)) => {
                // `assignee_id = x` is null where nobody is assigned: such a row is not theirs.
                condition = Box::new(
                    condition.and(grievances::assignee_id.eq(id.clone()).assume_not_null()),
                )
            }
            None => {}
        }
        condition
    }
}

/// At most this many narrowings are counted in one pass.
pub const MAX_NARROWINGS: usize = 6;

/// How many grievances `visibility` shows that pass `filter` fall under each of `parts`
/// (at most [`MAX_NARROWINGS`]), counted in one pass over them: the console's tabs. Give
/// `filter` only what every part lies within, so the pass reads no other rows.
pub fn count_each(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &GrievanceFilter,
    parts: &[Narrowing],
    now: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    use diesel::dsl::{case_when, count};
    use diesel::sql_types::{Bool, Integer};
    assert!(
        parts.len() <= MAX_NARROWINGS,
        "at most {MAX_NARROWINGS} narrowings a pass"
    );
    // A select has a fixed width: the narrowest of two, four or six that holds the
    // parts, any slot left over counting nothing.
    let one = |index: usize| {
        let condition = match parts.get(index) {
            Some(part) => part.condition(now),
            None => Box::new(false.into_sql::<Bool>()),
        };
        case_when::<_, _, Integer>(condition, 1)
    };
    let query = || matching(visibility, filter, Order::NewestFirst, false, now);
    let counts: Vec<i64> = match parts.len() {
        0..=2 => {
            let (a, b): (i64, i64) = query()
                .select((count(one(0)), count(one(1))))
                .get_result(conn)?;
            vec![a, b]
        }
        3..=4 => {
            let (a, b, c, d): (i64, i64, i64, i64) = query()
                .select((count(one(0)), count(one(1)), count(one(2)), count(one(3))))
                .get_result(conn)?;
            vec![a, b, c, d]
        }
        _ => {
            let (a, b, c, d, e, f): (i64, i64, i64, i64, i64, i64) = query()
                .select((
                    count(one(0)),
                    count(one(1)),
                    count(one(2)),
                    count(one(3)),
                    count(one(4)),
                    count(one(5)),
                ))
                .get_result(conn)?;
            vec![a, b, c, d, e, f]
        }
    };
    Ok(counts[..parts.len()].to_vec())
}

/// The statuses that still need work.
pub fn open_statuses() -> &'static [Status] {
    &OPEN
}
