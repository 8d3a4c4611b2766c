//! The exported datasets: their columns, and sources that read their rows from the
//! database a chunk at a time (keyset pages, or a PostgreSQL cursor for visits), so an
//! export of any size holds a chunk or two in memory.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::dsl::{count_star, sql};
use diesel::expression_methods::AggregateExpressionMethods;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable};

use super::export::{Cell, Column, Sheet};
use super::weekly::WeeklyReport;
use crate::db::grievances::GrievanceRow;
use crate::db::reports::{Span, FIELD_ROLES};
use crate::db::schema::{grievances, users, visits};
use crate::db::DbConnection;
use crate::domain::AreaScope;
use crate::domain::UserId;
use crate::domain::{Activity, Labelled, ReviewStatus, Role, TargetGroup};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::grievances::sla::is_overdue;
use crate::placement::Flag;
use crate::scoped;

/// Rows read per database round trip.
pub const CHUNK_ROWS: i64 = 2_000;

string_enum! {
    /// What to export.
    Dataset {
        Visits => "visits",
        Grievances => "grievances",
        FieldWorkers => "field_workers",
        Summary => "summary",
    }
}

impl Dataset {
    pub fn sheet(self) -> Sheet {
        let columns = |names: &[&'static str]| names.iter().map(|n| Column::new(n)).collect();
        match self {
            Dataset::Visits => Sheet::new(
                "Visits",
                columns(&[
                    "id",
                    "visited_at",
                    "visited_on",
                    "author_id",
                    "author_name",
                    "area_code",
                    "area_name_th",
                    "lat",
                    "lon",
                    "accuracy_m",
                    "activity",
                    "activity_th",
                    "target_groups",
                    "target_groups_th",
                    "households_visited",
                    "people_reached",
                    "summary",
                    "needs",
                    "follow_up_needed",
                    "review_status",
                    "review_status_th",
                    "flags",
                    "flags_th",
                ]),
            ),
            Dataset::Grievances => Sheet::new(
                "Grievances",
                columns(&[
                    "id",
                    "created_at",
                    "reported_at",
                    "area_code",
                    "area_name_th",
                    "lat",
                    "lon",
                    "category",
                    "category_th",
                    "priority",
                    "priority_th",
                    "status",
                    "status_th",
                    "title",
                    "reporter_id",
                    "assignee_id",
                    "due_at",
                    "overdue",
                    "resolved_at",
                    "reopen_count",
                    "referred_to",
                ]),
            ),
            Dataset::FieldWorkers => Sheet::new(
                "Field workers",
                columns(&[
                    "user_id",
                    "username",
                    "display_name",
                    "role",
                    "role_th",
                    "area_code",
                    "visits",
                    "field_days",
                    "households_visited",
                    "people_reached",
                    "went_out",
                ]),
            ),
            Dataset::Summary => Sheet::new("Summary", columns(&["section", "key", "value"])),
        }
    }
}

/// Where an export's rows come from.
#[derive(Debug, Clone)]
pub struct ExportScope {
    pub scope: AreaScope,
    pub span: Span,
}

/// Reads a dataset a chunk at a time; `None` when it is exhausted.
pub enum Source {
    Visits {
        scope: ExportScope,
        after: Option<(NaiveDateTime, String)>,
        done: bool,
    },
    Grievances {
        scope: ExportScope,
        after: Option<(NaiveDateTime, String)>,
        done: bool,
    },
    FieldWorkers {
        scope: ExportScope,
        after: Option<String>,
        done: bool,
    },
    Summary {
        rows: Option<Vec<Vec<Cell>>>,
    },
}

impl Source {
    pub fn new(dataset: Dataset, scope: ExportScope, report: Option<&WeeklyReport>) -> Self {
        match dataset {
            Dataset::Visits => Source::Visits {
                scope,
                after: None,
                done: false,
            },
            Dataset::Grievances => Source::Grievances {
                scope,
                after: None,
                done: false,
            },
            Dataset::FieldWorkers => Source::FieldWorkers {
                scope,
                after: None,
                done: false,
            },
            Dataset::Summary => Source::Summary {
                rows: Some(report.map(summary_rows).unwrap_or_default()),
            },
        }
    }

    /// Hands every chunk of rows to `take`, in order, until the dataset is exhausted
    /// (`Ok(true)`) or `take` answers false because the reader left (`Ok(false)`).
    ///
    /// Visits on PostgreSQL come through one server-side cursor in one read-only
    /// snapshot: keyset pages there cost a query each and fetched each row's heap page
    /// at random (1,000,000 rows took 15 s of queries), where one cursor is planned
    /// once and read straight through. Everything else is read in keyset pages.
    pub fn for_each_chunk(
        mut self,
        conn: &mut DbConnection,
        geography: &Geography,
        take: &mut dyn FnMut(Chunk) -> Result<bool, ApiError>,
    ) -> Result<bool, ApiError> {
        match (&self, conn) {
            (Source::Visits { scope, .. }, DbConnection::Postgres(pg)) => {
                visits_through_cursor(pg, scope, take)
            }
            (_, conn) => {
                while let Some(rows) = self.next_chunk(conn, geography)? {
                    if !take(rows)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }

    fn next_chunk(
        &mut self,
        conn: &mut DbConnection,
        geography: &Geography,
    ) -> QueryResult<Option<Chunk>> {
        match self {
            Source::Visits { scope, after, done } => {
                if *done {
                    return Ok(None);
                }
                let rows = visits_after(conn, scope, after.clone())?;
                *done = (rows.len() as i64) < CHUNK_ROWS;
                *after = rows.last().map(|r| (r.visited_at, r.id.clone()));
                if rows.is_empty() {
                    return Ok(None);
                }
                Ok(Some(Chunk(Rows::Visits(with_author_names(conn, rows)?))))
            }
            Source::Grievances { scope, after, done } => {
                if *done {
                    return Ok(None);
                }
                let rows = grievances_after(conn, scope, after.clone())?;
                *done = (rows.len() as i64) < CHUNK_ROWS;
                *after = rows.last().map(|r| (r.created_at, r.id.to_string()));
                if rows.is_empty() {
                    return Ok(None);
                }
                let now = chrono::Utc::now();
                Ok(Some(Chunk(Rows::Cells(
                    rows.into_iter()
                        .map(|row| grievance_cells(row, geography, now))
                        .collect(),
                ))))
            }
            Source::FieldWorkers { scope, after, done } => {
                if *done {
                    return Ok(None);
                }
                let rows = field_workers_after(conn, scope, after.clone())?;
                *done = (rows.len() as i64) < CHUNK_ROWS;
                *after = rows.last().map(|r| r[0].clone()).and_then(|c| match c {
                    Cell::Text(id) => Some(id),
                    _ => None,
                });
                Ok((!rows.is_empty()).then_some(Chunk(Rows::Cells(rows))))
            }
            Source::Summary { rows } => Ok(rows.take().map(|rows| Chunk(Rows::Cells(rows)))),
        }
    }
}

fn visits_after(
    conn: &mut DbConnection,
    export: &ExportScope,
    after: Option<(NaiveDateTime, String)>,
) -> QueryResult<Vec<ExportedVisit>> {
    let mut query = visits::table
        .filter(visits::visited_at.lt(export.span.end))
        .into_boxed();
    query = scoped!(query, visits, &export.scope);
    // The key, once there is one, is the lower bound (see `after_key!`).
    query = match after {
        Some((at, id)) => crate::after_key!(query, visits::visited_at, visits::id, at, id),
        None => query.filter(visits::visited_at.ge(export.span.start)),
    };
    query
        .order((visits::visited_at.asc(), visits::id.asc()))
        .limit(CHUNK_ROWS)
        .select(ExportedVisit::as_select())
        .load(conn)
}

/// Pairs each visit with its author's name, read in one query for the chunk.
fn with_author_names(
    conn: &mut DbConnection,
    rows: Vec<ExportedVisit>,
) -> QueryResult<Vec<(ExportedVisit, Option<String>)>> {
    let mut authors: Vec<&str> = rows.iter().map(|r| r.author_id.as_str()).collect();
    authors.sort_unstable();
    authors.dedup();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&authors))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let author_name = names.get(&row.author_id).cloned();
            (row, author_name)
        })
        .collect())
}

/// A chunk of a dataset's rows as read. Visits become cells only where they are
/// written ([`Chunk::into_cells`]): in a CSV or GeoJSON export that is the encoder's
/// thread, so the reader's thread goes back to the database sooner.
pub struct Chunk(Rows);

enum Rows {
    Cells(Vec<Vec<Cell>>),
    Visits(Vec<(ExportedVisit, Option<String>)>),
}

impl Chunk {
    pub fn into_cells(self, geography: &Geography) -> Vec<Vec<Cell>> {
        match self.0 {
            Rows::Cells(rows) => rows,
            Rows::Visits(rows) => rows
                .into_iter()
                .map(|(visit, author_name)| visit_row_cells(visit, author_name, geography))
                .collect(),
        }
    }
}

/// The columns of a visit that the export writes: the stored row has more (review notes,
/// the content hash, the declared area...), and reading them for a million rows would
/// only cost time.
#[derive(Queryable, Selectable)]
#[diesel(table_name = visits)]
struct ExportedVisit {
    id: String,
    author_id: String,
    visited_at: NaiveDateTime,
    visited_on: String,
    area_code: String,
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    activity: String,
    target_groups: i64,
    households_visited: i64,
    people_reached: i64,
    summary: String,
    needs: String,
    follow_up_needed: bool,
    review_status: String,
    flags: String,
}

fn visit_row_cells(
    row: ExportedVisit,
    author_name: Option<String>,
    geography: &Geography,
) -> Vec<Cell> {
    let needs: Vec<String> = serde_json::from_str(&row.needs).unwrap_or_default();
    let mut groups: Vec<TargetGroup> = TargetGroup::from_bits(row.target_groups);
    groups.sort_unstable_by_key(|g| g.as_str());
    let groups_th: Vec<String> = groups.iter().map(|g| g.label().th.into_owned()).collect();
    let groups: Vec<&str> = groups.iter().map(|g| g.as_str()).collect();
    let flags = Flag::split(&row.flags);
    let area_name = geography.area(&row.area_code).map(|a| a.name_th.clone());
    vec![
        Cell::from(row.id),
        Cell::DateTime(row.visited_at.and_utc()),
        Cell::from(row.visited_on),
        Cell::from(row.author_id),
        Cell::from(author_name),
        Cell::from(row.area_code),
        Cell::from(area_name),
        Cell::Float(row.lat),
        Cell::Float(row.lon),
        Cell::from(row.accuracy_m),
        Cell::from(row.activity.clone()),
        Cell::from(thai_label::<Activity>(&row.activity)),
        Cell::from(groups.join(";")),
        Cell::from(groups_th.join(";")),
        Cell::Int(row.households_visited),
        Cell::Int(row.people_reached),
        Cell::from(row.summary),
        Cell::from(needs.join(";")),
        Cell::Bool(row.follow_up_needed),
        Cell::from(row.review_status.clone()),
        Cell::from(thai_label::<ReviewStatus>(&row.review_status)),
        Cell::from(
            flags
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        ),
        Cell::from(
            flags
                .iter()
                .map(|f| f.label().th.into_owned())
                .collect::<Vec<_>>()
                .join(";"),
        ),
    ]
}

/// The Thai label of a stored name (the labels of `GET /meta/labels`); blank for a name
/// no longer in the vocabulary.
fn thai_label<T: Labelled>(name: &str) -> Option<String> {
    T::from_name(name).map(|value| value.label().th.into_owned())
}

/// The SQL types of what the export cursor returns: a visit row, then its author's name
/// (the cursor's query selects `(ExportedVisit::as_select(), users::display_name)`).
type VisitWithAuthorSql = (
    diesel::dsl::SqlTypeOf<<ExportedVisit as Selectable<Pg>>::SelectExpression>,
    diesel::sql_types::Text,
);

/// Streams the export's visits through one PostgreSQL cursor, [`CHUNK_ROWS`] a fetch.
fn visits_through_cursor(
    pg: &mut PgConnection,
    export: &ExportScope,
    take: &mut dyn FnMut(Chunk) -> Result<bool, ApiError>,
) -> Result<bool, ApiError> {
    let query = visits::table
        .inner_join(users::table.on(users::id.eq(visits::author_id)))
        .filter(visits::visited_at.ge(export.span.start))
        .filter(visits::visited_at.lt(export.span.end))
        .into_boxed::<Pg>();
    let query = scoped!(query, visits, &export.scope)
        .order((visits::visited_at.asc(), visits::id.asc()))
        .select((ExportedVisit::as_select(), users::display_name));
    pg.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|pg| {
            // Plan for reading the whole result, not (as for cursors by default) for
            // its first rows. And read the week's rows in the table's own order, then
            // sort them (a bitmap or sequential scan): walking the time index fetched
            // each row's page at random, 60 % of PostgreSQL's time in an export.
            pg.batch_execute(
                "SET LOCAL cursor_tuple_fraction = 1; SET LOCAL enable_indexscan = off;",
            )?;
            DeclareCursor(query).execute(pg)?;
            let fetch = format!("FETCH {CHUNK_ROWS} FROM {EXPORT_CURSOR}");
            loop {
                // Typed by position: `sql_query` would find every field by its name,
                // a search through the columns for each value of a million rows.
                let rows: Vec<(ExportedVisit, String)> =
                    diesel::dsl::sql::<VisitWithAuthorSql>(&fetch).load(pg)?;
                let last = (rows.len() as i64) < CHUNK_ROWS;
                if !rows.is_empty() {
                    let rows = rows
                        .into_iter()
                        .map(|(visit, author_name)| (visit, Some(author_name)))
                        .collect();
                    if !take(Chunk(Rows::Visits(rows)))? {
                        // Ending the transaction closes the cursor.
                        return Ok(false);
                    }
                }
                if last {
                    return Ok(true);
                }
            }
        })
}

const EXPORT_CURSOR: &str = "export_rows";

/// `DECLARE export_rows NO SCROLL CURSOR FOR <query>`, the query's binds kept as binds.
struct DeclareCursor<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for DeclareCursor<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("DECLARE ");
        out.push_identifier(EXPORT_CURSOR)?;
        out.push_sql(" NO SCROLL CURSOR FOR ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> QueryId for DeclareCursor<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> RunQueryDsl<PgConnection> for DeclareCursor<Q> {}

fn grievances_after(
    conn: &mut DbConnection,
    export: &ExportScope,
    after: Option<(NaiveDateTime, String)>,
) -> QueryResult<Vec<GrievanceRow>> {
    let mut query = grievances::table
        .filter(grievances::created_at.lt(export.span.end))
        .into_boxed();
    query = scoped!(query, grievances, &export.scope);
    // The key, once there is one, is the lower bound (see `after_key!`).
    query = match after {
        Some((at, id)) => crate::after_key!(query, grievances::created_at, grievances::id, at, id),
        None => query.filter(grievances::created_at.ge(export.span.start)),
    };
    query
        .order((grievances::created_at.asc(), grievances::id.asc()))
        .limit(CHUNK_ROWS)
        .select(GrievanceRow::as_select())
        .load(conn)
}

/// The workflow facts of a grievance: the complainant's personal data is never exported.
fn grievance_cells(
    row: GrievanceRow,
    geography: &Geography,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Cell> {
    let overdue = is_overdue(row.due_at.and_utc(), row.status, now);
    vec![
        Cell::from(row.id.into_string()),
        Cell::DateTime(row.created_at.and_utc()),
        Cell::DateTime(row.reported_at.and_utc()),
        Cell::from(row.area_code.clone()),
        Cell::from(geography.area(&row.area_code).map(|a| a.name_th.clone())),
        Cell::Float(row.lat),
        Cell::Float(row.lon),
        Cell::from(row.category.as_str()),
        Cell::from(row.category.label().th.into_owned()),
        Cell::from(row.priority.as_str()),
        Cell::from(row.priority.label().th.into_owned()),
        Cell::from(row.status.as_str()),
        Cell::from(row.status.label().th.into_owned()),
        Cell::from(row.title),
        Cell::from(row.reporter_id.into_string()),
        Cell::from(row.assignee_id.map(UserId::into_string)),
        Cell::DateTime(row.due_at.and_utc()),
        Cell::Bool(overdue),
        Cell::from(row.resolved_at.map(|t| t.and_utc())),
        Cell::Int(row.reopen_count),
        Cell::from(row.referred_to),
    ]
}

/// A page of field workers (by id) with what each did in the span.
fn field_workers_after(
    conn: &mut DbConnection,
    export: &ExportScope,
    after: Option<String>,
) -> QueryResult<Vec<Vec<Cell>>> {
    let mut query = users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq_any(FIELD_ROLES))
        .into_boxed();
    query = scoped!(query, users, &export.scope);
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    let people: Vec<(String, String, String, String, String)> = query
        .order(users::id.asc())
        .limit(CHUNK_ROWS)
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::area_code,
        ))
        .load(conn)?;
    let ids: Vec<&str> = people.iter().map(|p| p.0.as_str()).collect();
    let activity: HashMap<String, (i64, i64, Option<i64>, Option<i64>)> = visits::table
        .filter(visits::author_id.eq_any(&ids))
        .filter(visits::visited_at.ge(export.span.start))
        .filter(visits::visited_at.lt(export.span.end))
        .group_by(visits::author_id)
        .select((
            visits::author_id,
            count_star(),
            diesel::dsl::count(visits::visited_on).aggregate_distinct(),
            sql::<Nullable<BigInt>>("CAST(SUM(households_visited) AS BIGINT)"),
            sql::<Nullable<BigInt>>("CAST(SUM(people_reached) AS BIGINT)"),
        ))
        .load::<(String, i64, i64, Option<i64>, Option<i64>)>(conn)?
        .into_iter()
        .map(|(id, visits, days, households, people)| (id, (visits, days, households, people)))
        .collect();
    Ok(people
        .into_iter()
        .map(|(id, username, display_name, role, area_code)| {
            let (visits, days, households, reached) =
                activity.get(&id).copied().unwrap_or_default();
            vec![
                Cell::from(id),
                Cell::from(username),
                Cell::from(display_name),
                Cell::from(role.clone()),
                Cell::from(thai_label::<Role>(&role)),
                Cell::from(area_code),
                Cell::Int(visits),
                Cell::Int(days),
                Cell::Int(households.unwrap_or(0)),
                Cell::Int(reached.unwrap_or(0)),
                Cell::Bool(visits > 0),
            ]
        })
        .collect())
}

/// The weekly report flattened to (section, key, value) rows.
pub fn summary_rows(report: &WeeklyReport) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut push = |section: &str, key: &str, value: Cell| {
        rows.push(vec![Cell::from(section), Cell::from(key), value]);
    };
    push("week", "week", Cell::from(report.week.clone()));
    push("week", "label_th", Cell::from(report.label_th.clone()));
    push("week", "starts_on", Cell::Date(report.starts_on));
    push("week", "ends_on", Cell::Date(report.ends_on));
    push("week", "area_code", Cell::from(report.area_code.clone()));
    let v = &report.visits;
    push("visits", "total", Cell::Int(v.total));
    push(
        "visits",
        "households_visited",
        Cell::Int(v.households_visited),
    );
    push("visits", "people_reached", Cell::Int(v.people_reached));
    for (group, n) in &v.by_target_group {
        push("visits.by_target_group", group, Cell::Int(*n));
    }
    for (activity, n) in &v.by_activity {
        push("visits.by_activity", activity, Cell::Int(*n));
    }
    for area in &v.by_area {
        push(
            "visits.by_area",
            &format!("{} {}", area.area_code, area.name_th),
            Cell::Int(area.count),
        );
    }
    let f = &report.field_workers;
    push("field_workers", "registered", Cell::Int(f.registered));
    push("field_workers", "active", Cell::Int(f.active));
    push("field_workers", "compliant", Cell::Int(f.compliant));
    push("field_workers", "below_plan", Cell::Int(f.below_plan_total));
    push(
        "field_workers",
        "compliance_rate",
        Cell::Float(f.compliance_rate),
    );
    push(
        "field_workers",
        "without_visits",
        Cell::Int(f.without_visits_total),
    );
    let g = &report.grievances;
    push("grievances", "new", Cell::Int(g.new));
    push("grievances", "resolved", Cell::Int(g.resolved));
    push("grievances", "open_at_end", Cell::Int(g.open_at_end));
    push("grievances", "overdue", Cell::Int(g.overdue));
    push(
        "grievances",
        "median_hours_to_resolve",
        Cell::from(g.median_hours_to_resolve),
    );
    for (category, n) in &g.by_category {
        push("grievances.by_category", category, Cell::Int(*n));
    }
    for (priority, n) in &g.by_priority {
        push("grievances.by_priority", priority, Cell::Int(*n));
    }
    push(
        "coverage",
        "subdistricts_total",
        Cell::Int(report.coverage.subdistricts_total),
    );
    push(
        "coverage",
        "subdistricts_visited",
        Cell::Int(report.coverage.subdistricts_visited),
    );
    for (i, hotspot) in report.hotspots.iter().enumerate() {
        let key = format!(
            "{} {:.5},{:.5} {}",
            i + 1,
            hotspot.center.lat,
            hotspot.center.lon,
            hotspot.top_category.as_str()
        );
        push("hotspots", &key, Cell::Int(hotspot.count));
    }
    rows
}
