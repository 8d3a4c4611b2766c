//! The weekly figures as SQL aggregates: counts, sums and groupings run in the database,
//! never by loading the week's rows into memory. Every function is scoped to an area.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count, count_star, sql};
use diesel::expression_methods::AggregateExpressionMethods;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::{grievance_events, grievances, households, users, visits};
use super::DbConnection;
use crate::domain::AreaScope;
use crate::domain::{Role, TargetGroup};
use crate::{scoped, users_with_plan_for};

/// A half-open interval of stored (UTC) times.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// Bangkok dates from `first` up to, not including, `after_last`: a span of whole days
/// (a reporting week), compared with `visited_on` as stored.
#[derive(Debug, Clone, Copy)]
pub struct Days {
    pub first: chrono::NaiveDate,
    pub after_last: chrono::NaiveDate,
}

/// The roles counted as field workers.
pub const FIELD_ROLES: [Role; 2] = [Role::Volunteer, Role::Official];

/// The visit figures of a report: totals, subdistricts reached, and counts per activity,
/// per target group and per child area.
#[derive(Debug, Default)]
pub struct VisitCounts {
    pub total: i64,
    pub households: i64,
    pub people: i64,
    pub subdistricts_visited: i64,
    pub by_activity: BTreeMap<String, i64>,
    pub by_target_group: BTreeMap<String, i64>,
    /// Provinces of the country, districts of a province, subdistricts of a district (a
    /// subdistrict reports itself), by code.
    pub by_child_area: BTreeMap<String, i64>,
}

/// Every visit figure of the span in two passes over its visits, each grouped finely
/// enough for Rust to fold into several figures: by place (a few thousand groups at
/// most: totals, subdistricts, child areas) and by what was done for whom (activities
/// times target-group combinations: counts per activity and per group). Five passes,
/// one per figure, took 2-2.5 times as long. `visits_by_time` carries every column both
/// read, so for the whole country neither pass touches the table itself.
pub fn visit_counts(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
) -> QueryResult<VisitCounts> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL; cast back so both engines agree. The
    // province and district repeat prefixes of the area, so they add no groups.
    let by_place = visits::table
        .group_by((
            visits::area_code,
            visits::province_code,
            visits::district_code,
        ))
        .select((
            visits::area_code,
            visits::province_code,
            visits::district_code,
            count_star(),
            sql::<Nullable<BigInt>>("CAST(SUM(households_visited) AS BIGINT)"),
            sql::<Nullable<BigInt>>("CAST(SUM(people_reached) AS BIGINT)"),
        ))
        .filter(visits::visited_at.ge(span.start))
        .filter(visits::visited_at.lt(span.end))
        .into_boxed();
    type Place = (
        String,
        String,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
    );
    let places: Vec<Place> = scoped!(by_place, visits, scope).load(conn)?;

    let mut counts = VisitCounts::default();
    for (area, province, district, count, households, people) in places {
        counts.total += count;
        counts.households += households.unwrap_or(0);
        counts.people += people.unwrap_or(0);
        // Visits filed at province level (no subdistrict could be derived) do not count.
        counts.subdistricts_visited += i64::from(district.is_some());
        let child = match scope {
            AreaScope::Everywhere => Some(province),
            AreaScope::Province(_) => district,
            AreaScope::District(_) | AreaScope::Subdistrict(_) => Some(area),
        };
        if let Some(child) = child {
            *counts.by_child_area.entry(child).or_default() += count;
        }
    }

    let by_work = visits::table
        .group_by((visits::activity, visits::target_groups))
        .select((visits::activity, visits::target_groups, count_star()))
        .filter(visits::visited_at.ge(span.start))
        .filter(visits::visited_at.lt(span.end))
        .into_boxed();
    for (activity, bits, count) in
        scoped!(by_work, visits, scope).load::<(String, i64, i64)>(conn)?
    {
        *counts.by_activity.entry(activity).or_default() += count;
        for group in TargetGroup::from_bits(bits) {
            *counts
                .by_target_group
                .entry(group.as_str().to_owned())
                .or_default() += count;
        }
    }
    Ok(counts)
}

#[derive(Debug, Clone)]
pub struct FieldWorker {
    pub user_id: String,
    pub display_name: String,
    pub area_code: String,
}

/// Active volunteers and officials of the area: how many, how many filed a visit in the
/// span, and (up to `list_limit`) those who did not.
pub fn field_workers(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
    list_limit: i64,
) -> QueryResult<(i64, i64, Vec<FieldWorker>)> {
    macro_rules! registered {
        () => {{
            let query = users::table
                .filter(users::active.eq(true))
                .filter(users::role.eq_any(FIELD_ROLES))
                .into_boxed();
            scoped!(query, users, scope)
        }};
    }
    // Whether the user filed a visit in the span: one seek per user into
    // `visits_by_author` (author, time). `IN (visits of the span)` read every visit of
    // the week from the table instead, 4 s at a million visits on SQLite.
    macro_rules! went_out {
        () => {
            diesel::dsl::exists(
                visits::table
                    .filter(visits::author_id.eq(users::id))
                    .filter(visits::visited_at.ge(span.start))
                    .filter(visits::visited_at.lt(span.end)),
            )
        };
    }
    let registered: i64 = registered!().count().get_result(conn)?;
    let active: i64 = registered!().filter(went_out!()).count().get_result(conn)?;
    let without: Vec<(String, String, String)> = registered!()
        .filter(diesel::dsl::not(went_out!()))
        .order((
            users::area_code.asc(),
            users::display_name.asc(),
            users::id.asc(),
        ))
        .limit(list_limit)
        .select((users::id, users::display_name, users::area_code))
        .load(conn)?;
    Ok((
        registered,
        active,
        without
            .into_iter()
            .map(|(user_id, display_name, area_code)| FieldWorker {
                user_id,
                display_name,
                area_code,
            })
            .collect(),
    ))
}

/// A field worker whose field days in a week fell short of their plan.
#[derive(Debug, Clone)]
pub struct BelowPlan {
    pub user_id: String,
    pub display_name: String,
    pub area_code: String,
    pub field_days: i64,
    pub planned_days: i64,
}

/// Registered and compliant field workers of one stored area code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCompliance {
    pub area_code: String,
    pub registered: i64,
    pub compliant: i64,
}

/// Compliance against the plan: per stored area code, how many of the area's active
/// volunteers and officials there are and how many spent at least their plan's
/// `weekly_field_days` in the field in those days (one day when they have no plan for
/// `fiscal_year`); and (up to `list_limit`, by area and name) those who did not, with
/// their days.
///
/// A field day is a distinct Bangkok date with a visit. The count is one seek per person
/// into `visits_by_author`, as for [`field_workers`].
pub fn compliance(
    conn: &mut DbConnection,
    scope: &AreaScope,
    days: Days,
    fiscal_year: i32,
    list_limit: i64,
) -> QueryResult<(Vec<AreaCompliance>, Vec<BelowPlan>)> {
    // The user's distinct days with a visit in the span, as SQL starting with `before`:
    // by Bangkok date, an index-only seek into `visits_by_author_day` (3.2 s to 1.1 s for
    // 78,540 people at 5,000,000 visits on PostgreSQL), where bounds on the time fetched
    // every visit of the week from the table.
    let (first, after_last) = (days.first.to_string(), days.after_last.to_string());
    let field_days = |before: &str| {
        sql::<BigInt>(&format!(
            "{before}(SELECT COUNT(DISTINCT field_visits.visited_on) FROM visits field_visits \
             WHERE field_visits.author_id = users.id AND field_visits.visited_on >= "
        ))
        .bind::<Text, _>(first.clone())
        .sql(" AND field_visits.visited_on < ")
        .bind::<Text, _>(after_last.clone())
        .sql(")")
    };
    // `weekly_field_days` is a 4-byte INTEGER on PostgreSQL: cast, so both engines read a BIGINT.
    const PLANNED: &str = "CAST(COALESCE(plans.weekly_field_days, 1) AS BIGINT)";
    let planned = || sql::<BigInt>(PLANNED);
    let met = field_days("CAST(SUM(CASE WHEN ")
        .sql(&format!(" >= {PLANNED} THEN 1 ELSE 0 END) AS BIGINT)"));
    // Grouped before boxing: diesel boxes a grouped query, not the other way round.
    let grouped = users_with_plan_for!(fiscal_year)
        .filter(users::active.eq(true))
        .filter(users::role.eq_any(FIELD_ROLES))
        .group_by(users::area_code)
        .select((users::area_code, count_star(), met))
        .into_boxed();
    let by_area: Vec<(String, i64, i64)> = scoped!(grouped, users, scope).load(conn)?;
    let below = users_with_plan_for!(fiscal_year)
        .filter(users::active.eq(true))
        .filter(users::role.eq_any(FIELD_ROLES))
        .into_boxed();
    let below: Vec<(String, String, String, i64, i64)> = scoped!(below, users, scope)
        .filter(field_days("").lt(planned()))
        .order((
            users::area_code.asc(),
            users::display_name.asc(),
            users::id.asc(),
        ))
        .limit(list_limit)
        .select((
            users::id,
            users::display_name,
            users::area_code,
            field_days(""),
            planned(),
        ))
        .load(conn)?;
    Ok((
        by_area
            .into_iter()
            .map(|(area_code, registered, compliant)| AreaCompliance {
                area_code,
                registered,
                compliant,
            })
            .collect(),
        below
            .into_iter()
            .map(
                |(user_id, display_name, area_code, field_days, planned_days)| BelowPlan {
                    user_id,
                    display_name,
                    area_code,
                    field_days,
                    planned_days,
                },
            )
            .collect(),
    ))
}

#[derive(Debug, Default)]
pub struct GrievanceTotals {
    pub new: i64,
    pub resolved: i64,
    pub open_at_end: i64,
    pub overdue_at_end: i64,
}

/// The actions that end a grievance's work; `reopen` is the only way back.
const CLOSING: [&str; 3] = ["resolve", "reject", "mark_duplicate"];

/// New and resolved in the span, and open (and overdue) at its end.
///
/// A grievance is closed at time T exactly when, before T, it has been resolved,
/// rejected or marked a duplicate once more than it has been reopened (the workflow
/// alternates the two). So the
/// grievances open at the end are those filed before it, less (closings − reopenings)
/// before it: plain counts, no per-grievance replay of the history.
pub fn grievance_totals(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
) -> QueryResult<GrievanceTotals> {
    macro_rules! filed_before_end {
        () => {{
            let query = grievances::table
                .filter(grievances::created_at.lt(span.end))
                .into_boxed();
            scoped!(query, grievances, scope)
        }};
    }
    macro_rules! events_before_end {
        ($actions:expr) => {{
            let query = grievance_events::table
                .inner_join(grievances::table)
                .filter(grievance_events::action.eq_any($actions))
                .filter(grievance_events::at.lt(span.end))
                .into_boxed();
            scoped!(query, grievances, scope)
        }};
    }
    let new: i64 = filed_before_end!()
        .filter(grievances::created_at.ge(span.start))
        .count()
        .get_result(conn)?;
    let resolved: i64 = events_before_end!(["resolve"])
        .filter(grievance_events::at.ge(span.start))
        .select(count(grievance_events::grievance_id).aggregate_distinct())
        .first(conn)?;

    let filed: i64 = filed_before_end!().count().get_result(conn)?;
    let closings: i64 = events_before_end!(CLOSING).count().get_result(conn)?;
    let reopenings: i64 = events_before_end!(["reopen"]).count().get_result(conn)?;

    let late_filed: i64 = filed_before_end!()
        .filter(grievances::due_at.lt(span.end))
        .count()
        .get_result(conn)?;
    let late_closings: i64 = events_before_end!(CLOSING)
        .filter(grievances::due_at.lt(span.end))
        .count()
        .get_result(conn)?;
    let late_reopenings: i64 = events_before_end!(["reopen"])
        .filter(grievances::due_at.lt(span.end))
        .count()
        .get_result(conn)?;
    Ok(GrievanceTotals {
        new,
        resolved,
        open_at_end: filed - (closings - reopenings),
        overdue_at_end: late_filed - (late_closings - late_reopenings),
    })
}

/// New grievances in the span by a column: category or priority.
pub fn new_grievances_by(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
    by_priority: bool,
) -> QueryResult<Vec<(String, i64)>> {
    macro_rules! counted_by {
        ($column:expr) => {{
            let query = grievances::table
                .group_by($column)
                .select(($column, count_star()))
                .filter(grievances::created_at.ge(span.start))
                .filter(grievances::created_at.lt(span.end))
                .into_boxed();
            scoped!(query, grievances, scope)
                .order($column.asc())
                .load(conn)
        }};
    }
    if by_priority {
        counted_by!(grievances::priority)
    } else {
        counted_by!(grievances::category)
    }
}

/// The median of the seconds from filing to each resolution in the span: the middle one
/// or two values picked by ORDER BY, so only they leave the database.
pub fn median_seconds_to_resolve(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
) -> QueryResult<Option<f64>> {
    macro_rules! resolutions {
        () => {{
            let query = grievance_events::table
                .inner_join(grievances::table)
                .filter(grievance_events::action.eq("resolve"))
                .filter(grievance_events::at.ge(span.start))
                .filter(grievance_events::at.lt(span.end))
                .into_boxed();
            scoped!(query, grievances, scope)
        }};
    }
    let n: i64 = resolutions!().count().get_result(conn)?;
    if n == 0 {
        return Ok(None);
    }
    let middle: Vec<i64> = resolutions!()
        .order(grievance_events::elapsed_seconds.asc())
        .offset((n - 1) / 2)
        .limit(if n % 2 == 0 { 2 } else { 1 })
        .select(grievance_events::elapsed_seconds)
        .load(conn)?;
    Ok(Some(
        middle.iter().sum::<i64>() as f64 / middle.len() as f64,
    ))
}

/// The points and categories of the span's new grievances, for hotspot clustering (the
/// clustering itself needs the points; nothing else of the rows is read).
pub fn new_grievance_points(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
) -> QueryResult<Vec<(f64, f64, String)>> {
    let query = grievances::table
        .filter(grievances::created_at.ge(span.start))
        .filter(grievances::created_at.lt(span.end))
        .into_boxed();
    scoped!(query, grievances, scope)
        .select((grievances::lat, grievances::lon, grievances::category))
        .load(conn)
}

/// Records of `$table` (by `$time`) in each of `spans`, for a trend: one count a span on
/// the time index.
macro_rules! count_per_span {
    ($conn:expr, $scope:expr, $spans:expr, $table:ident, $time:ident) => {
        $spans
            .iter()
            .map(|span| {
                let query = $table::table
                    .filter($table::$time.ge(span.start))
                    .filter($table::$time.lt(span.end))
                    .into_boxed();
                scoped!(query, $table, $scope).count().get_result($conn)
            })
            .collect()
    };
}

/// Visits filed in each of `spans` (consecutive weeks, oldest first).
pub fn visits_per_span(
    conn: &mut DbConnection,
    scope: &AreaScope,
    spans: &[Span],
) -> QueryResult<Vec<i64>> {
    count_per_span!(conn, scope, spans, visits, visited_at)
}

/// Grievances filed in each of `spans`.
pub fn grievances_per_span(
    conn: &mut DbConnection,
    scope: &AreaScope,
    spans: &[Span],
) -> QueryResult<Vec<i64>> {
    count_per_span!(conn, scope, spans, grievances, created_at)
}

/// When each of these people last filed a visit (those who never did are absent): one
/// seek a person into `visits_by_author`.
pub fn last_visit_of(
    conn: &mut DbConnection,
    author_ids: &[String],
) -> QueryResult<BTreeMap<String, NaiveDateTime>> {
    let found: Vec<(String, Option<NaiveDateTime>)> = visits::table
        .filter(visits::author_id.eq_any(author_ids))
        .group_by(visits::author_id)
        .select((visits::author_id, diesel::dsl::max(visits::visited_at)))
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at)))
        .collect())
}

/// The register's figures of a week: households on it at the week's end and new in it,
/// households visited, and follow-ups falling due in the week and done by its end.
#[derive(Debug, Default, Clone, Copy)]
pub struct HouseholdCounts {
    pub registered: i64,
    pub registered_in_week: i64,
    pub visited: i64,
    pub follow_ups_due: i64,
    pub follow_ups_done: i64,
}

diesel::alias!(visits as later_visit: LaterVisit);

/// Counted by the household's own area, so a visit filed from across a border still
/// counts where the household lives. A follow-up is a visit's request (`follow_up_by`,
/// a Bangkok date within `due_days`); it is done when a later visit reached the same
/// household before the week ended, the rule that closes `next_visit_due`.
pub fn household_counts(
    conn: &mut DbConnection,
    scope: &AreaScope,
    span: Span,
    due_days: (NaiveDate, NaiveDate),
) -> QueryResult<HouseholdCounts> {
    macro_rules! on_register {
        () => {{
            let query = households::table
                .filter(households::created_at.lt(span.end))
                .into_boxed();
            scoped!(query, households, scope)
        }};
    }
    macro_rules! visits_to_households_in_scope {
        () => {{
            let query = visits::table
                .inner_join(
                    households::table.on(households::id.nullable().eq(visits::household_id)),
                )
                .into_boxed();
            scoped!(query, households, scope)
        }};
    }
    macro_rules! due_in_week {
        () => {
            // As the partial index `visits_follow_ups_due` reads: the flag as a column,
            // not a bound `true`, so the planner can prove the index applies.
            visits_to_households_in_scope!()
                .filter(visits::follow_up_needed)
                .filter(visits::household_id.is_not_null())
                .filter(visits::follow_up_by.ge(due_days.0))
                .filter(visits::follow_up_by.le(due_days.1))
        };
    }
    let registered: i64 = on_register!().count().get_result(conn)?;
    let registered_in_week: i64 = on_register!()
        .filter(households::created_at.ge(span.start))
        .count()
        .get_result(conn)?;
    let visited: i64 = visits_to_households_in_scope!()
        .filter(visits::visited_at.ge(span.start))
        .filter(visits::visited_at.lt(span.end))
        .select(count(visits::household_id).aggregate_distinct())
        .first(conn)?;
    let follow_ups_due: i64 = due_in_week!().count().get_result(conn)?;
    let follow_ups_done: i64 = due_in_week!()
        .filter(diesel::dsl::exists(
            later_visit
                .filter(
                    later_visit
                        .field(visits::household_id)
                        .eq(visits::household_id),
                )
                .filter(later_visit.field(visits::visited_at).gt(visits::visited_at))
                .filter(later_visit.field(visits::visited_at).lt(span.end)),
        ))
        .count()
        .get_result(conn)?;
    Ok(HouseholdCounts {
        registered,
        registered_in_week,
        visited,
        follow_ups_due,
        follow_ups_done,
    })
}
