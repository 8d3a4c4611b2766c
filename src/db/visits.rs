//! The `visits` and `visit_photos` tables.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::photos::{PhotoRow, VisitPhoto};
use super::schema::{users, visit_photos, visits};
use super::{DbConnection, Filed, OneStatement, ReadOnly};
use crate::domain::{
    Activity, Bbox, HouseholdId, ReviewStatus, TargetGroup, UserId, Visibility, VisitId,
};
use crate::scoped;

/// A `None` is written as NULL rather than left to a column default (none of these
/// columns has one), which lets SQLite take many rows in one statement.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = visits, treat_none_as_default_value = false)]
pub struct VisitRow {
    pub id: VisitId,
    pub author_id: UserId,
    pub visited_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub declared_area_code: Option<String>,
    pub area_code: String,
    pub province_code: String,
    pub district_code: Option<String>,
    pub activity: Activity,
    pub households_visited: i64,
    pub people_reached: i64,
    pub summary: String,
    pub needs: String,
    pub follow_up_needed: bool,
    pub flags: String,
    pub review_status: ReviewStatus,
    pub review_note: Option<String>,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub content_hash: String,
    /// The Bangkok calendar day of `visited_at` (YYYY-MM-DD).
    pub visited_on: String,
    /// A bit per target group (`TargetGroup::bit`).
    pub target_groups: i64,
    /// When it last changed: filed, then reviewed, or a photo arrived.
    pub updated_at: NaiveDateTime,
    /// How many photos the phone said it would send.
    pub photos_expected: i32,
    /// How many arrived (kept by `db::photos::add`).
    pub photos_received: i32,
    /// The household of the register visited, if the phone named one.
    pub household_id: Option<HouseholdId>,
    /// With `follow_up_needed`: the day to go back by.
    pub follow_up_by: Option<NaiveDate>,
}

/// A visit as stored, with its photos.
pub struct StoredVisit {
    pub row: VisitRow,
    pub photos: Vec<PhotoRow>,
}

/// Files visits, idempotently on their ids, in one statement: a batch from a phone costs
/// one round trip, not one per visit. The primary key decides: of any number of
/// concurrent identical submissions exactly one inserts, and the rest read it back. The
/// outcomes are in the order given, as if the visits were filed one after another.
/// That INSERT is its only change: it takes a [`OneStatement`], so that the routes file
/// through `Db::write_one_statement`.
pub fn file(write: OneStatement<'_>, rows: Vec<VisitRow>) -> QueryResult<Vec<Filed<StoredVisit>>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let insert = diesel::insert_into(visits::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .returning(visits::id);
    // On the engine's own connection (as `OneStatement` runs it): RETURNING is only there
    // on SQLite, and the wrapper would render this long statement's SQL again every run.
    let (inserted, mut reads) = write.get_results(insert)?;
    let mut inserted: HashSet<VisitId> = inserted.into_iter().collect();

    // An id taken out once: sent twice in one batch, it is a resend the second time.
    let created: Vec<bool> = rows.iter().map(|row| inserted.remove(&row.id)).collect();
    // The rest were filed before: read back together, not one round trip each, since a
    // phone that lost an answer sends its whole batch again.
    let earlier: Vec<&VisitId> = rows
        .iter()
        .zip(&created)
        .filter(|(_, created)| !**created)
        .map(|(row, _)| &row.id)
        .collect();
    let mut stored: HashMap<VisitId, StoredVisit> = HashMap::new();
    if !earlier.is_empty() {
        let found = reads.load(
            visits::table
                .filter(visits::id.eq_any(&earlier))
                .select(VisitRow::as_select()),
        )?;
        for visit in hydrate(&mut reads, found)? {
            stored.insert(visit.row.id.clone(), visit);
        }
    }

    let mut outcomes = Vec::with_capacity(rows.len());
    for (row, created) in rows.into_iter().zip(created) {
        if created {
            let photos = Vec::new();
            outcomes.push(Filed::Created(Box::new(StoredVisit { row, photos })));
            continue;
        }
        let earlier = stored.get(&row.id).ok_or(diesel::result::Error::NotFound)?;
        // Who filed it and what it held tell a resend from a different visit under the
        // same id. (A batch may hold the same visit twice: each answer is a copy.)
        outcomes.push(
            if earlier.row.author_id != row.author_id
                || earlier.row.content_hash != row.content_hash
            {
                Filed::Conflict
            } else {
                Filed::Replayed(Box::new(StoredVisit {
                    row: earlier.row.clone(),
                    photos: earlier.photos.clone(),
                }))
            },
        );
    }
    Ok(outcomes)
}

/// Adds photos to visit rows, in one query for the whole set.
pub fn hydrate(conn: &mut ReadOnly<'_>, rows: Vec<VisitRow>) -> QueryResult<Vec<StoredVisit>> {
    let ids: Vec<&VisitId> = rows.iter().map(|r| &r.id).collect();
    let mut photos: HashMap<VisitId, Vec<PhotoRow>> = HashMap::new();
    for photo in conn.load(
        visit_photos::table
            .filter(visit_photos::visit_id.eq_any(&ids))
            .order(visit_photos::created_at.asc())
            .select(VisitPhoto::as_select()),
    )? {
        photos
            .entry(photo.visit_id.clone())
            .or_default()
            .push(photo.into());
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let photos = photos.remove(&row.id).unwrap_or_default();
            StoredVisit { row, photos }
        })
        .collect())
}

diesel::infix_operator!(BitAnd, " & ", diesel::sql_types::BigInt);

/// `column & bits`: non-zero when the row has any of `bits`.
pub(super) fn has_bits<C>(
    column: C,
    bits: i64,
) -> BitAnd<C, diesel::dsl::AsExprOf<i64, diesel::sql_types::BigInt>>
where
    C: Expression<SqlType = diesel::sql_types::BigInt>,
{
    BitAnd::new(column, bits.into_sql::<diesel::sql_types::BigInt>())
}

/// A visit the caller may see. Read by key, a statement prepared once per connection
/// (a scoped query is built anew each time and compiled again by SQLite), then judged.
pub fn find_visible(
    conn: &mut DbConnection,
    id: &VisitId,
    visibility: &Visibility,
) -> QueryResult<Option<VisitRow>> {
    let row = crate::natively!(conn, |conn| visits::table
        .find(id)
        .select(VisitRow::as_select())
        .first(conn)
        .optional())?;
    Ok(row.filter(|row| visibility.allows(&row.author_id, &row.area_code)))
}

/// A visit by key with its photos and its author's display name (`None` without an
/// account), if the caller may see it: one statement (a visit left-joined to its author
/// and its photos, a row per photo), so one round trip on PostgreSQL.
pub fn find_visible_with_photos(
    conn: &mut DbConnection,
    id: &VisitId,
    visibility: &Visibility,
) -> QueryResult<Option<(StoredVisit, Option<String>)>> {
    type Joined = (VisitRow, Option<String>, Option<VisitPhoto>);
    let rows: Vec<Joined> = crate::natively!(conn, |conn| visits::table
        .left_join(users::table.on(users::id.eq(visits::author_id)))
        .left_join(visit_photos::table)
        .filter(visits::id.eq(id))
        .select((
            VisitRow::as_select(),
            users::display_name.nullable(),
            Option::<VisitPhoto>::as_select(),
        ))
        .load(conn))?;
    let mut rows = rows.into_iter();
    let Some((visit, author_name, first_photo)) = rows.next() else {
        return Ok(None);
    };
    if !visibility.allows(&visit.author_id, &visit.area_code) {
        return Ok(None);
    }
    let mut photos: Vec<PhotoRow> = first_photo
        .into_iter()
        .chain(rows.filter_map(|(_, _, photo)| photo))
        .map(PhotoRow::from)
        .collect();
    // Sorted here rather than in SQL, where SQLite would build a sorter for a few rows.
    photos.sort_by_key(|photo| photo.created_at);
    Ok(Some((StoredVisit { row: visit, photos }, author_name)))
}

/// The filters of `GET /visits`, already validated. An empty list filters nothing; a
/// list of several matches any of them.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub author: Option<UserId>,
    pub target_groups: Vec<TargetGroup>,
    pub review_statuses: Vec<ReviewStatus>,
    pub activities: Vec<Activity>,
    /// Stored names of placement flags (`placement::Flag`).
    pub flags: Vec<&'static str>,
    pub follow_up_needed: Option<bool>,
    /// `Some(true)`: fewer photos arrived than expected; `Some(false)`: all of them.
    pub photos_missing: Option<bool>,
    /// Changed (filed or reviewed) after this instant.
    pub updated_since: Option<NaiveDateTime>,
    pub bbox: Option<Bbox>,
    /// The visits to one household of the register.
    pub household: Option<HouseholdId>,
}

/// The orders a list of visits is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest visit first.
    NewestFirst,
    /// Least recently changed first: for pulling changes since a point in time.
    UpdatedAscending,
}

impl Order {
    /// The order's name, which its cursors carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::NewestFirst => "-visited_at",
            Self::UpdatedAscending => "updated_at",
        }
    }
}

type Backend = <DbConnection as Connection>::Backend;

/// The visits `visibility` shows, as a query to narrow further: the one rendering of the
/// rule in SQL, for lists, exports and a household's story alike.
pub(super) fn visible<'a>(visibility: &Visibility) -> visits::BoxedQuery<'a, Backend> {
    let query = scoped!(visits::table.into_boxed(), visits, &visibility.scope);
    match &visibility.only_owner {
        Some(author) => query.filter(visits::author_id.eq(author.clone())),
        None => query,
    }
}

/// The visits `visibility` shows that pass `filter`. `keyed`: a cursor will bound the
/// order's key, so the filter's own bound on that side is left out (see `after_key!`).
fn matching<'a>(
    visibility: &Visibility,
    filter: &'a VisitFilter,
    order: Order,
    keyed: bool,
) -> visits::BoxedQuery<'a, Backend> {
    let mut query = visible(visibility);
    if let Some(author) = &filter.author {
        query = query.filter(visits::author_id.eq(author.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(visits::visited_at.ge(from));
    }
    if let Some(to) = filter
        .to
        .filter(|_| !(keyed && order == Order::NewestFirst))
    {
        query = query.filter(visits::visited_at.lt(to));
    }
    if let Some(since) = filter
        .updated_since
        .filter(|_| !(keyed && order == Order::UpdatedAscending))
    {
        query = query.filter(visits::updated_at.gt(since));
    }
    if !filter.review_statuses.is_empty() {
        query = query.filter(visits::review_status.eq_any(&filter.review_statuses));
    }
    if !filter.activities.is_empty() {
        query = query.filter(visits::activity.eq_any(&filter.activities));
    }
    if !filter.target_groups.is_empty() {
        let bits = TargetGroup::bits_of(&filter.target_groups);
        query = query.filter(has_bits(visits::target_groups, bits).ne(0_i64));
    }
    if let Some((first, rest)) = filter.flags.split_first() {
        // The stored flags are names joined by commas: wrapped in commas, each name is
        // found whole, never as a part of another.
        let has = |name: &str| {
            ",".into_sql::<Text>()
                .concat(visits::flags)
                .concat(",")
                .like(super::like_containing(&format!(",{name},")))
                .escape('\\')
        };
        let mut any: Box<dyn BoxableExpression<visits::table, Backend, SqlType = Bool>> =
            Box::new(has(first));
        for name in rest {
            any = Box::new(any.or(has(name)));
        }
        query = query.filter(any);
    }
    if let Some(follow_up) = filter.follow_up_needed {
        query = query.filter(visits::follow_up_needed.eq(follow_up));
    }
    match filter.photos_missing {
        // The same expression as the partial index `visits_photos_missing`.
        Some(true) => query = query.filter(visits::photos_received.lt(visits::photos_expected)),
        Some(false) => query = query.filter(visits::photos_received.ge(visits::photos_expected)),
        None => {}
    }
    if let Some(bbox) = filter.bbox {
        query = query
            .filter(visits::lat.between(bbox.min_lat, bbox.max_lat))
            .filter(visits::lon.between(bbox.min_lon, bbox.max_lon));
    }
    if let Some(household) = &filter.household {
        query = query.filter(visits::household_id.eq(household.clone()));
    }
    query
}

/// One page of visits in `order`, strictly after the cursor's key.
pub fn list(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &VisitFilter,
    order: Order,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<VisitRow>> {
    let mut query = matching(visibility, filter, order, after.is_some());
    query = match (order, after) {
        (Order::NewestFirst, Some((at, id))) => {
            crate::after_key!(query, visits::visited_at, visits::id, at, id, descending)
        }
        (Order::UpdatedAscending, Some((at, id))) => {
            crate::after_key!(query, visits::updated_at, visits::id, at, id)
        }
        (_, None) => query,
    };
    query = match order {
        Order::NewestFirst => query.order((visits::visited_at.desc(), visits::id.desc())),
        Order::UpdatedAscending => query.order((visits::updated_at.asc(), visits::id.asc())),
    };
    query.limit(limit).select(VisitRow::as_select()).load(conn)
}

/// The sort key of a row under an order, for cursors.
pub fn order_key(row: &VisitRow, order: Order) -> (NaiveDateTime, String) {
    match order {
        Order::NewestFirst => (row.visited_at, row.id.to_string()),
        Order::UpdatedAscending => (row.updated_at, row.id.to_string()),
    }
}

/// How many visits `visibility` shows that pass `filter`.
pub fn count(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &VisitFilter,
) -> QueryResult<i64> {
    matching(visibility, filter, Order::NewestFirst, false)
        .count()
        .get_result(conn)
}

/// The points of those visits, for counting them within a circle.
pub fn points(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &VisitFilter,
) -> QueryResult<Vec<(f64, f64)>> {
    matching(visibility, filter, Order::NewestFirst, false)
        .select((visits::lat, visits::lon))
        .load(conn)
}

pub fn review(
    conn: &mut DbConnection,
    id: &VisitId,
    status: ReviewStatus,
    note: Option<&str>,
    reviewer: &UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(visits::table.find(id))
        .set((
            visits::review_status.eq(status.as_str()),
            visits::review_note.eq(note),
            visits::reviewed_by.eq(reviewer),
            visits::reviewed_at.eq(now),
            visits::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
