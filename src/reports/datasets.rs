//! The exported datasets: their columns, and sources that read their rows from the
//! database a chunk at a time (keyset pages, or one streamed PostgreSQL query for
//! visits), so an export of any size holds a chunk or two in memory.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::dsl::{count_star, sql};
use diesel::expression_methods::AggregateExpressionMethods;
use diesel::pg::{Pg, PgRowByRowLoadingMode};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use super::export::{Cell, Column, Sheet};
use super::weekly::WeeklyReport;
use crate::db::grievances::GrievanceRow;
use crate::db::reports::{Span, FIELD_ROLES};
use crate::db::schema::{grievances, plans, users, visits};
use crate::db::{DbConnection, Interrupter};
use crate::domain::{
    bangkok_date, buddhist_era_date, label_named, Activity, AreaScope, Category, Labelled,
    Language, Message, Priority, ReviewStatus, Role, TargetGroup, UserId,
};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::grievances::sla::is_overdue;
use crate::placement::Flag;
use crate::{scoped, users_with_plan_for};

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

/// A column: its key, and its header in English and in Thai.
type ColumnSpec = (&'static str, &'static str, &'static str);

/// Where a record is: its province, district and own area, by code and by name.
const PLACE_COLUMNS: [ColumnSpec; 6] = [
    ("province_code", "Province code", "รหัสจังหวัด"),
    ("province_name", "Province", "จังหวัด"),
    ("district_code", "District code", "รหัสอำเภอ"),
    ("district_name", "District", "อำเภอ"),
    ("area_code", "Area code", "รหัสพื้นที่"),
    ("area_name", "Area", "พื้นที่ (ตำบล)"),
];

const VISIT_HEAD: &[ColumnSpec] = &[
    ("id", "Visit ID", "รหัสการลงพื้นที่"),
    (
        "visited_at",
        "Visited at (Bangkok time)",
        "วันเวลาที่ลงพื้นที่ (เวลาไทย)",
    ),
    ("visited_on_be", "Date (BE)", "วันที่ (พ.ศ.)"),
    ("author_id", "Filed by (ID)", "รหัสผู้บันทึก"),
    ("author_name", "Filed by", "ผู้บันทึก"),
];

const VISIT_TAIL: &[ColumnSpec] = &[
    ("lat", "Latitude", "ละติจูด"),
    ("lon", "Longitude", "ลองจิจูด"),
    ("accuracy_m", "Accuracy (m)", "ความแม่นยำ (เมตร)"),
    ("activity", "Activity", "กิจกรรม"),
    ("target_groups", "Target groups", "กลุ่มเป้าหมาย"),
    ("households_visited", "Households visited", "จำนวนครัวเรือน"),
    ("people_reached", "People reached", "จำนวนคน"),
    ("summary", "Summary", "สรุปผล"),
    ("needs", "Needs", "ความต้องการ"),
    ("follow_up_needed", "Follow-up needed", "ต้องติดตามต่อ"),
    ("follow_up_by", "Follow up by (BE)", "ติดตามภายในวันที่ (พ.ศ.)"),
    ("household_id", "Household ID", "รหัสครัวเรือน"),
    ("review_status", "Review", "ผลการตรวจสอบ"),
    ("flags", "Flags", "ข้อสังเกต"),
];

const GRIEVANCE_HEAD: &[ColumnSpec] = &[
    ("id", "Grievance ID", "รหัสเรื่อง"),
    (
        "created_at",
        "Filed at (Bangkok time)",
        "วันเวลาที่บันทึก (เวลาไทย)",
    ),
    ("created_on_be", "Filed on (BE)", "วันที่บันทึก (พ.ศ.)"),
    (
        "reported_at",
        "Reported at (Bangkok time)",
        "วันเวลาที่รับแจ้ง (เวลาไทย)",
    ),
];

const GRIEVANCE_TAIL: &[ColumnSpec] = &[
    ("lat", "Latitude", "ละติจูด"),
    ("lon", "Longitude", "ลองจิจูด"),
    ("category", "Category", "ประเภท"),
    ("priority", "Priority", "ความเร่งด่วน"),
    ("status", "Status", "สถานะ"),
    ("title", "Title", "เรื่อง"),
    ("reporter_id", "Filed by (ID)", "รหัสผู้บันทึก"),
    ("reporter_name", "Filed by", "ผู้บันทึก"),
    ("assignee_id", "Assigned to (ID)", "รหัสผู้รับผิดชอบ"),
    ("assignee_name", "Assigned to", "ผู้รับผิดชอบ"),
    ("due_at", "Due (Bangkok time)", "กำหนดเสร็จ (เวลาไทย)"),
    ("overdue", "Overdue", "เลยกำหนด"),
    (
        "resolved_at",
        "Resolved at (Bangkok time)",
        "วันเวลาที่แก้ไขเสร็จ (เวลาไทย)",
    ),
    ("reopen_count", "Times reopened", "จำนวนครั้งที่เปิดเรื่องใหม่"),
    ("referred_to", "Referred to", "ส่งต่อหน่วยงาน"),
    ("age_days", "Age (days)", "อายุเรื่อง (วัน)"),
];

const FIELD_WORKER_HEAD: &[ColumnSpec] = &[
    ("user_id", "User ID", "รหัสผู้ใช้"),
    ("username", "Username", "ชื่อผู้ใช้"),
    ("display_name", "Name", "ชื่อ"),
    ("role", "Role", "บทบาท"),
];

const FIELD_WORKER_TAIL: &[ColumnSpec] = &[
    ("visits", "Visits", "จำนวนครั้งที่ลงพื้นที่"),
    ("field_days", "Field days", "จำนวนวันลงพื้นที่"),
    ("planned_days", "Planned days a week", "วันลงพื้นที่ตามแผน/สัปดาห์"),
    ("compliant", "Met the plan", "เป็นไปตามแผน"),
    ("households_visited", "Households visited", "จำนวนครัวเรือน"),
    ("people_reached", "People reached", "จำนวนคน"),
];

const SUMMARY_COLUMNS: [ColumnSpec; 3] = [
    ("section", "Section", "หมวด"),
    ("item", "Item", "รายการ"),
    ("value", "Value", "ค่า"),
];

impl Dataset {
    /// The dataset's sheet, its name and headers in `language`.
    pub fn sheet(self, language: Language) -> Sheet {
        // Each record's own columns, its place (`PLACE_COLUMNS`) in the middle.
        let (en, th, parts): (_, _, [&[ColumnSpec]; 3]) = match self {
            Dataset::Visits => (
                "Visits",
                "การลงพื้นที่",
                [VISIT_HEAD, &PLACE_COLUMNS, VISIT_TAIL],
            ),
            Dataset::Grievances => (
                "Grievances",
                "เรื่องร้องทุกข์",
                [GRIEVANCE_HEAD, &PLACE_COLUMNS, GRIEVANCE_TAIL],
            ),
            Dataset::FieldWorkers => (
                "Field workers",
                "ผู้ปฏิบัติงาน",
                [FIELD_WORKER_HEAD, &PLACE_COLUMNS, FIELD_WORKER_TAIL],
            ),
            Dataset::Summary => ("Summary", "สรุป", [&SUMMARY_COLUMNS, &[], &[]]),
        };
        let pick = |en: &'static str, th: &'static str| match language {
            Language::English => en,
            Language::Thai => th,
        };
        Sheet::new(
            pick(en, th),
            parts
                .iter()
                .flat_map(|part| part.iter())
                .map(|&(key, en, th)| Column::labelled(key, pick(en, th)))
                .collect(),
        )
    }
}

/// A label in the reader's language.
fn said(message: Message, language: Language) -> String {
    message.in_language(language).to_owned()
}

fn yes_no(value: bool, language: Language) -> Cell {
    Cell::from(said(
        if value {
            Message::new("Yes", "ใช่")
        } else {
            Message::new("No", "ไม่ใช่")
        },
        language,
    ))
}

/// A stored instant's Bangkok date with the Buddhist-Era year.
fn be_date(at: NaiveDateTime, language: Language) -> Cell {
    Cell::from(buddhist_era_date(bangkok_date(at.and_utc()), language))
}

/// The [`PLACE_COLUMNS`] of an area code.
fn place_cells(area_code: &str, geography: &Geography, language: Language) -> [Cell; 6] {
    let named = |code: Option<&str>| -> (Cell, Cell) {
        let Some(code) = code else {
            return (Cell::Empty, Cell::Empty);
        };
        let name = geography.area(code).map(|area| area.name(language));
        (Cell::from(code), Cell::from(name))
    };
    let (province, province_name) = named(area_code.get(..2));
    let (district, district_name) = named(area_code.get(..4).filter(|_| area_code.len() >= 4));
    let (_, area_name) = named(Some(area_code));
    [
        province,
        province_name,
        district,
        district_name,
        Cell::from(area_code),
        area_name,
    ]
}

/// Where an export's rows come from.
#[derive(Debug, Clone)]
pub struct ExportScope {
    pub scope: AreaScope,
    pub span: Span,
    /// The language of headers, labels and names.
    pub language: Language,
    /// The fiscal year (Buddhist Era) whose plans the week is measured against.
    pub fiscal_year: i32,
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
        /// The last (area, name, id) read: field workers come by area, then name.
        after: Option<FieldWorkerKey>,
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
                rows: Some(
                    report
                        .map(|report| summary_rows(report, scope.language))
                        .unwrap_or_default(),
                ),
            },
        }
    }

    /// Hands every chunk of rows to `take`, in order, until the dataset is exhausted
    /// (`Ok(true)`) or `take` answers false because the reader left (`Ok(false)`).
    ///
    /// Visits on PostgreSQL come from one query read as it streams (see
    /// [`visits_streamed`]): keyset pages there cost a query each and fetched each row's
    /// heap page at random (1,000,000 rows took 15 s of queries), where one query is
    /// planned once and read straight through. `interrupter` stops that query when
    /// `take` declines. Everything else is read in keyset pages.
    pub(crate) fn for_each_chunk(
        mut self,
        conn: &mut DbConnection,
        interrupter: &Interrupter<'_>,
        geography: &Geography,
        take: &mut dyn FnMut(Chunk) -> Result<bool, ApiError>,
    ) -> Result<bool, ApiError> {
        match (&self, conn) {
            (Source::Visits { scope, .. }, DbConnection::Postgres(pg)) => {
                visits_streamed(pg, interrupter, scope, take)
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
                let language = scope.language;
                Ok(Some(Chunk(Rows::Visits(
                    with_author_names(conn, rows)?,
                    language,
                ))))
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
                let names = crate::db::users::display_names(
                    conn,
                    rows.iter()
                        .flat_map(|r| std::iter::once(&r.reporter_id).chain(&r.assignee_id)),
                )?;
                let language = scope.language;
                Ok(Some(Chunk(Rows::Cells(
                    rows.into_iter()
                        .map(|row| grievance_cells(row, &names, geography, now, language))
                        .collect(),
                ))))
            }
            Source::FieldWorkers { scope, after, done } => {
                if *done {
                    return Ok(None);
                }
                let (rows, last) = field_workers_after(conn, scope, after.take(), geography)?;
                *done = (rows.len() as i64) < CHUNK_ROWS;
                *after = last;
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
    let authors: Vec<UserId> = rows
        .iter()
        .map(|r| UserId::unchecked(r.author_id.clone()))
        .collect();
    let names = crate::db::users::display_names(conn, &authors)?;
    Ok(rows
        .into_iter()
        .zip(authors)
        .map(|(row, author)| {
            let author_name = names.get(&author).cloned();
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
    Visits(Vec<(ExportedVisit, Option<String>)>, Language),
}

impl Chunk {
    pub fn into_cells(self, geography: &Geography) -> Vec<Vec<Cell>> {
        match self.0 {
            Rows::Cells(rows) => rows,
            Rows::Visits(rows, language) => rows
                .into_iter()
                .map(|(visit, author_name)| {
                    visit_row_cells(visit, author_name, geography, language)
                })
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
    follow_up_by: Option<NaiveDate>,
    household_id: Option<String>,
    review_status: String,
    flags: String,
}

fn visit_row_cells(
    row: ExportedVisit,
    author_name: Option<String>,
    geography: &Geography,
    language: Language,
) -> Vec<Cell> {
    let needs: Vec<String> = serde_json::from_str(&row.needs).unwrap_or_default();
    let groups: Vec<String> = TargetGroup::from_bits(row.target_groups)
        .into_iter()
        .map(|g| g.label_in(language))
        .collect();
    let flags: Vec<String> = Flag::split(&row.flags)
        .iter()
        .map(|f| f.label_in(language))
        .collect();
    let mut cells = vec![
        Cell::from(row.id),
        Cell::DateTime(row.visited_at.and_utc()),
        // The Bangkok date the visit was filed under.
        Cell::from(
            chrono::NaiveDate::parse_from_str(&row.visited_on, "%Y-%m-%d")
                .ok()
                .map(|day| buddhist_era_date(day, language)),
        ),
        Cell::from(row.author_id),
        Cell::from(author_name),
    ];
    cells.extend(place_cells(&row.area_code, geography, language));
    cells.extend([
        Cell::Float(row.lat),
        Cell::Float(row.lon),
        Cell::from(row.accuracy_m),
        Cell::from(label_named::<Activity>(&row.activity, language)),
        Cell::from(groups.join("; ")),
        Cell::Int(row.households_visited),
        Cell::Int(row.people_reached),
        Cell::from(row.summary),
        Cell::from(needs.join("; ")),
        yes_no(row.follow_up_needed, language),
        Cell::from(row.follow_up_by.map(|day| buddhist_era_date(day, language))),
        Cell::from(row.household_id),
        Cell::from(label_named::<ReviewStatus>(&row.review_status, language)),
        Cell::from(flags.join("; ")),
    ]);
    cells
}

/// Streams the export's visits from PostgreSQL as it produces them: one plain query in a
/// read-only snapshot, read row by row (libpq's single-row mode).
///
/// PostgreSQL works on the next rows while this thread decodes the last ones, where a
/// cursor's FETCH left each side idle while the other worked; and a plain query may be
/// planned in parallel, which a cursor never is (0.56 of `psql \copy` through a cursor,
/// 0.91 this way; see BENCHMARKS.md). Such a result is sent whole, so a reader that leaves
/// halfway has the statement stopped from another connection rather than read to its end.
fn visits_streamed(
    pg: &mut PgConnection,
    interrupter: &Interrupter<'_>,
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
    let backend = Interrupter::backend_of(pg)?;
    let read = |pg: &mut PgConnection| -> Result<(), Streaming> {
        // Read the week's rows in the table's own order, then sort them (a bitmap
        // or sequential scan): walking the time index fetched each row's page at
        // random, 60 % of PostgreSQL's time in an export.
        pg.batch_execute("SET LOCAL enable_indexscan = off;")?;
        let mut rows = Vec::with_capacity(CHUNK_ROWS as usize);
        let mut hand_over = |rows: Vec<_>| -> Result<(), Streaming> {
            match take(Chunk(Rows::Visits(rows, export.language)))? {
                true => Ok(()),
                false => {
                    interrupter.stop(backend);
                    Err(Streaming::Abandoned)
                }
            }
        };
        let streaming = query.load_iter::<_, PgRowByRowLoadingMode>(pg)?;
        for row in streaming {
            let (visit, author_name): (ExportedVisit, String) = row?;
            rows.push((visit, Some(author_name)));
            if rows.len() == CHUNK_ROWS as usize {
                let next = Vec::with_capacity(CHUNK_ROWS as usize);
                hand_over(std::mem::replace(&mut rows, next))?;
            }
        }
        if !rows.is_empty() {
            hand_over(rows)?;
        }
        Ok(())
    };
    let streamed = pg
        .build_transaction()
        .read_only()
        .repeatable_read()
        .run(read);
    match streamed {
        Ok(()) => Ok(true),
        // The transaction is rolled back; the statement stopped with it.
        Err(Streaming::Abandoned) => Ok(false),
        Err(Streaming::Failed(error)) => Err(error),
    }
}

/// How streaming the visits ended, when not with the last row: an error rolls the
/// snapshot's transaction back, the reader's leaving included.
enum Streaming {
    Abandoned,
    Failed(ApiError),
}

impl From<ApiError> for Streaming {
    fn from(error: ApiError) -> Self {
        Streaming::Failed(error)
    }
}

impl From<diesel::result::Error> for Streaming {
    fn from(error: diesel::result::Error) -> Self {
        Streaming::Failed(error.into())
    }
}

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
    names: &HashMap<UserId, String>,
    geography: &Geography,
    now: chrono::DateTime<chrono::Utc>,
    language: Language,
) -> Vec<Cell> {
    let overdue = is_overdue(row.due_at.and_utc(), row.status, now);
    let name = |id: &UserId| Cell::from(names.get(id).cloned());
    let ended = row.resolved_at.unwrap_or(now.naive_utc());
    let age_days = (ended - row.reported_at).num_days().max(0);
    let mut cells = vec![
        Cell::from(row.id.into_string()),
        Cell::DateTime(row.created_at.and_utc()),
        be_date(row.created_at, language),
        Cell::DateTime(row.reported_at.and_utc()),
    ];
    cells.extend(place_cells(&row.area_code, geography, language));
    cells.extend([
        Cell::Float(row.lat),
        Cell::Float(row.lon),
        Cell::from(row.category.label_in(language)),
        Cell::from(row.priority.label_in(language)),
        Cell::from(row.status.label_in(language)),
        Cell::from(row.title),
        Cell::from(row.reporter_id.as_str()),
        name(&row.reporter_id),
        Cell::from(row.assignee_id.as_ref().map(|id| id.as_str().to_owned())),
        row.assignee_id.as_ref().map_or(Cell::Empty, name),
        Cell::DateTime(row.due_at.and_utc()),
        yes_no(overdue, language),
        Cell::from(row.resolved_at.map(|t| t.and_utc())),
        Cell::Int(row.reopen_count),
        Cell::from(row.referred_to),
        Cell::Int(age_days),
    ]);
    cells
}

/// Where a page of field workers ends: (area, name, id).
pub type FieldWorkerKey = (String, String, String);

/// A page of field workers, by area then name, with what each did in the span against
/// their plan's weekly field days (one day without a plan), and the key of its last row.
fn field_workers_after(
    conn: &mut DbConnection,
    export: &ExportScope,
    after: Option<FieldWorkerKey>,
    geography: &Geography,
) -> QueryResult<(Vec<Vec<Cell>>, Option<FieldWorkerKey>)> {
    let mut query = users_with_plan_for!(export.fiscal_year)
        .filter(users::active.eq(true))
        .filter(users::role.eq_any(FIELD_ROLES))
        .into_boxed();
    query = scoped!(query, users, &export.scope);
    if let Some((area, name, id)) = after {
        query = query.filter(
            users::area_code
                .gt(area.clone())
                .or(users::area_code.eq(area).and(
                    users::display_name
                        .gt(name.clone())
                        .or(users::display_name.eq(name).and(users::id.gt(id))),
                )),
        );
    }
    let people: Vec<(String, String, String, Role, String, Option<i32>)> = query
        .order((
            users::area_code.asc(),
            users::display_name.asc(),
            users::id.asc(),
        ))
        .limit(CHUNK_ROWS)
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::area_code,
            plans::weekly_field_days.nullable(),
        ))
        .load(conn)?;
    let last = people
        .last()
        .map(|p| (p.4.clone(), p.2.clone(), p.0.clone()));
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
    let language = export.language;
    let rows = people
        .into_iter()
        .map(|(id, username, display_name, role, area_code, planned)| {
            let (visits, days, households, reached) =
                activity.get(&id).copied().unwrap_or_default();
            let planned = i64::from(planned.unwrap_or(1));
            let mut cells = vec![
                Cell::from(id),
                Cell::from(username),
                Cell::from(display_name),
                Cell::from(role.label_in(language)),
            ];
            cells.extend(place_cells(&area_code, geography, language));
            cells.extend([
                Cell::Int(visits),
                Cell::Int(days),
                Cell::Int(planned),
                yes_no(days >= planned, language),
                Cell::Int(households.unwrap_or(0)),
                Cell::Int(reached.unwrap_or(0)),
            ]);
            cells
        })
        .collect();
    Ok((rows, last))
}

/// The weekly report flattened to (section, item, value) rows, labelled in `language`.
pub fn summary_rows(report: &WeeklyReport, language: Language) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut push = |section: (&'static str, &'static str), item: String, value: Cell| {
        rows.push(vec![
            Cell::from(said(Message::new(section.0, section.1), language)),
            Cell::from(item),
            value,
        ]);
    };
    let item = |en: &'static str, th: &'static str| said(Message::new(en, th), language);
    let week = ("Week", "สัปดาห์");
    push(week, item("Week", "สัปดาห์"), Cell::from(report.week.clone()));
    push(
        week,
        item("Dates", "ช่วงวันที่"),
        Cell::from(format!(
            "{} – {}",
            buddhist_era_date(report.starts_on, language),
            buddhist_era_date(report.ends_on, language)
        )),
    );
    push(
        week,
        item("Area", "พื้นที่"),
        Cell::from(report.area_code.clone()),
    );

    let visits = ("Visits", "การลงพื้นที่");
    let v = &report.visits;
    push(visits, item("Visits", "จำนวนครั้ง"), Cell::Int(v.total));
    push(
        visits,
        item("Households visited", "จำนวนครัวเรือน"),
        Cell::Int(v.households_visited),
    );
    push(
        visits,
        item("People reached", "จำนวนคน"),
        Cell::Int(v.people_reached),
    );
    for (group, n) in &v.by_target_group {
        let label = label_named::<TargetGroup>(group, language).unwrap_or_else(|| group.clone());
        push(("By target group", "ตามกลุ่มเป้าหมาย"), label, Cell::Int(*n));
    }
    for (activity, n) in &v.by_activity {
        let label = label_named::<Activity>(activity, language).unwrap_or_else(|| activity.clone());
        push(("By activity", "ตามกิจกรรม"), label, Cell::Int(*n));
    }
    for area in &v.by_area {
        push(
            ("By area", "ตามพื้นที่"),
            format!("{} {}", area.area_code, area.name_th),
            Cell::Int(area.count),
        );
    }

    let workers = ("Field workers", "ผู้ปฏิบัติงาน");
    let f = &report.field_workers;
    push(
        workers,
        item("Registered", "จำนวนทั้งหมด"),
        Cell::Int(f.registered),
    );
    push(workers, item("Went out", "ลงพื้นที่แล้ว"), Cell::Int(f.active));
    push(
        workers,
        item("Met their plan", "เป็นไปตามแผน"),
        Cell::Int(f.compliant),
    );
    push(
        workers,
        item("Compliance rate", "อัตราการปฏิบัติตามแผน"),
        Cell::Float(f.compliance_rate),
    );
    push(
        workers,
        item("Below their plan", "ต่ำกว่าแผน"),
        Cell::Int(f.below_plan_total),
    );
    push(
        workers,
        item("Without a visit", "ยังไม่ได้ลงพื้นที่"),
        Cell::Int(f.without_visits_total),
    );

    let grievances = ("Grievances", "เรื่องร้องทุกข์");
    let g = &report.grievances;
    push(grievances, item("New", "รับใหม่"), Cell::Int(g.new));
    push(
        grievances,
        item("Resolved", "แก้ไขแล้ว"),
        Cell::Int(g.resolved),
    );
    push(
        grievances,
        item("Open at the week's end", "ค้างอยู่เมื่อสิ้นสัปดาห์"),
        Cell::Int(g.open_at_end),
    );
    push(
        grievances,
        item("Overdue", "เลยกำหนด"),
        Cell::Int(g.overdue),
    );
    push(
        grievances,
        item("Median hours to resolve", "มัธยฐานชั่วโมงจนแก้ไขเสร็จ"),
        Cell::from(g.median_hours_to_resolve),
    );
    for (category, n) in &g.by_category {
        let label = label_named::<Category>(category, language).unwrap_or_else(|| category.clone());
        push(("By category", "ตามประเภท"), label, Cell::Int(*n));
    }
    for (priority, n) in &g.by_priority {
        let label = label_named::<Priority>(priority, language).unwrap_or_else(|| priority.clone());
        push(("By priority", "ตามความเร่งด่วน"), label, Cell::Int(*n));
    }

    let register = ("Households", "ครัวเรือนในทะเบียน");
    let h = &report.households;
    for (label, value) in [
        (item("Registered", "ในทะเบียน"), h.registered),
        (item("Registered in the week", "ลงทะเบียนใหม่"), h.new),
        (item("Visited", "ได้รับการเยี่ยม"), h.visited),
        (item("Follow-ups due", "ครบกำหนดติดตาม"), h.follow_ups_due),
        (item("Follow-ups done", "ติดตามแล้ว"), h.follow_ups_done),
    ] {
        push(register, label, Cell::Int(value));
    }

    let coverage = ("Coverage", "ความครอบคลุม");
    push(
        coverage,
        item("Subdistricts", "จำนวนตำบลทั้งหมด"),
        Cell::Int(report.coverage.subdistricts_total),
    );
    push(
        coverage,
        item("Subdistricts visited", "ตำบลที่ลงพื้นที่"),
        Cell::Int(report.coverage.subdistricts_visited),
    );
    for (i, hotspot) in report.hotspots.iter().enumerate() {
        let key = format!(
            "{}. {:.5}, {:.5} {}",
            i + 1,
            hotspot.center.lat,
            hotspot.center.lon,
            hotspot.top_category.label_in(language)
        );
        push(("Hotspots", "จุดที่มีเรื่องมาก"), key, Cell::Int(hotspot.count));
    }
    rows
}
