//! The `plans` table and the figures a plan's progress is measured by.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::dsl::{count, count_star, sql};
use diesel::expression_methods::AggregateExpressionMethods;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use super::reports::FIELD_ROLES;
use super::schema::{grievance_events, grievances, plans, users, visits};
use super::DbConnection;
use crate::domain::{AreaScope, Role};
use crate::{scoped, users_with_plan_for};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = plans)]
pub struct PlanRow {
    pub user_id: String,
    pub fiscal_year: i32,
    pub weekly_field_days: i32,
    pub visits_target: i32,
    pub households_target: i32,
    pub grievances_resolved_target: i32,
    pub updated_at: NaiveDateTime,
}

/// Creates or replaces a user's plan for a fiscal year.
pub fn upsert(conn: &mut DbConnection, plan: &PlanRow) -> QueryResult<()> {
    let statement = diesel::insert_into(plans::table)
        .values(plan)
        .on_conflict((plans::user_id, plans::fiscal_year))
        .do_update()
        .set(plan);
    // Upserts are written differently by each engine: run on the concrete connection.
    match conn {
        DbConnection::Sqlite(conn) => statement.execute(conn)?,
        DbConnection::Postgres(conn) => statement.execute(conn)?,
    };
    Ok(())
}

pub fn find(
    conn: &mut DbConnection,
    user_id: &str,
    fiscal_year: i32,
) -> QueryResult<Option<PlanRow>> {
    plans::table
        .find((user_id, fiscal_year))
        .select(PlanRow::as_select())
        .first(conn)
        .optional()
}

/// What a user has done between two instants.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub field_days: i64,
    pub visits: i64,
    pub households: i64,
    pub grievances_resolved: i64,
}

/// Whose work [`done_by_person`] counts.
pub enum Whose<'a> {
    One(&'a str),
    /// Everyone's work on the records of an area.
    Area(&'a AreaScope),
}

/// What one user has done between two instants.
pub fn done(
    conn: &mut DbConnection,
    user_id: &str,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Done> {
    Ok(done_by_person(conn, Whose::One(user_id), start, end)?
        .remove(user_id)
        .unwrap_or_default())
}

/// What each person has done between two instants, by user id: visits they filed, the
/// distinct days they filed them on, the households those visits reached, and the
/// grievances resolved that they either resolved or filed (each counted once a person).
pub fn done_by_person(
    conn: &mut DbConnection,
    whose: Whose<'_>,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<HashMap<String, Done>> {
    let visit_query = visits::table
        .filter(visits::visited_at.ge(start))
        .filter(visits::visited_at.lt(end))
        .group_by(visits::author_id)
        .select((
            visits::author_id,
            count_star(),
            sql::<Nullable<BigInt>>("CAST(SUM(households_visited) AS BIGINT)"),
            count(visits::visited_on).aggregate_distinct(),
        ))
        .into_boxed();
    let visit_query = match whose {
        Whose::One(user_id) => visit_query.filter(visits::author_id.eq(user_id.to_owned())),
        Whose::Area(scope) => scoped!(visit_query, visits, scope),
    };
    let mut done: HashMap<String, Done> = HashMap::new();
    for (author, visits_count, households, field_days) in
        visit_query.load::<(String, i64, Option<i64>, i64)>(conn)?
    {
        let entry = done.entry(author).or_default();
        entry.visits = visits_count;
        entry.households = households.unwrap_or(0);
        entry.field_days = field_days;
    }

    let resolved = grievance_events::table
        .inner_join(grievances::table)
        .filter(grievance_events::action.eq("resolve"))
        .filter(grievance_events::at.ge(start))
        .filter(grievance_events::at.lt(end))
        .select((
            grievance_events::grievance_id,
            grievance_events::actor_id,
            grievances::reporter_id,
        ))
        .distinct()
        .into_boxed();
    let resolved = match whose {
        Whose::One(user_id) => resolved.filter(
            grievance_events::actor_id
                .eq(user_id.to_owned())
                .or(grievances::reporter_id.eq(user_id.to_owned())),
        ),
        Whose::Area(scope) => scoped!(resolved, grievances, scope),
    };
    let mut resolved_by: HashMap<String, HashSet<String>> = HashMap::new();
    for (grievance, actor, reporter) in resolved.load::<(String, String, String)>(conn)? {
        for person in [actor, reporter] {
            if let Whose::One(user_id) = whose {
                if person != user_id {
                    continue;
                }
            }
            resolved_by
                .entry(person)
                .or_default()
                .insert(grievance.clone());
        }
    }
    for (person, grievances) in resolved_by {
        done.entry(person).or_default().grievances_resolved = grievances.len() as i64;
    }
    Ok(done)
}

/// A person counted in an area's plan, and their plan for the year if they have one.
#[derive(Debug, Clone)]
pub struct PersonPlan {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
    pub area_code: String,
    pub plan: Option<PlanRow>,
}

/// The people of an area's plan: its active volunteers and officials, and anyone else
/// active there with a plan for the year, by area and name.
pub fn people_of_area(
    conn: &mut DbConnection,
    scope: &AreaScope,
    fiscal_year: i32,
) -> QueryResult<Vec<PersonPlan>> {
    let query = users_with_plan_for!(fiscal_year)
        .filter(users::active.eq(true))
        .filter(
            users::role
                .eq_any(FIELD_ROLES)
                .or(plans::user_id.is_not_null()),
        )
        .order((
            users::area_code.asc(),
            users::display_name.asc(),
            users::id.asc(),
        ))
        .select((
            users::id,
            users::display_name,
            users::role,
            users::area_code,
            Option::<PlanRow>::as_select(),
        ))
        .into_boxed();
    let rows: Vec<(String, String, Role, String, Option<PlanRow>)> =
        scoped!(query, users, scope).load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, display_name, role, area_code, plan)| PersonPlan {
                user_id,
                display_name,
                role,
                area_code,
                plan,
            },
        )
        .collect())
}
