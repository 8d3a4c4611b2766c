//! The `plans` table and the figures a plan's progress is measured by.

use chrono::NaiveDateTime;
use diesel::dsl::{count, count_star, sql};
use diesel::expression_methods::AggregateExpressionMethods;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use super::schema::{grievance_events, grievances, plans, visits};
use super::DbConnection;

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
#[derive(Debug, Default, Clone, Copy)]
pub struct Done {
    pub field_days: i64,
    pub visits: i64,
    pub households: i64,
    pub grievances_resolved: i64,
}

pub fn done(
    conn: &mut DbConnection,
    user_id: &str,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Done> {
    let (visits_count, households, field_days): (i64, Option<i64>, i64) = visits::table
        .filter(visits::author_id.eq(user_id))
        .filter(visits::visited_at.ge(start))
        .filter(visits::visited_at.lt(end))
        .select((
            count_star(),
            sql::<Nullable<BigInt>>("CAST(SUM(households_visited) AS BIGINT)"),
            count(visits::visited_on).aggregate_distinct(),
        ))
        .first(conn)?;
    // Grievances the user resolved, or filed and saw resolved, in the period.
    let grievances_resolved: i64 = grievance_events::table
        .inner_join(grievances::table)
        .filter(grievance_events::action.eq("resolve"))
        .filter(grievance_events::at.ge(start))
        .filter(grievance_events::at.lt(end))
        .filter(
            grievance_events::actor_id
                .eq(user_id)
                .or(grievances::reporter_id.eq(user_id)),
        )
        .select(count(grievance_events::grievance_id).aggregate_distinct())
        .first(conn)?;
    Ok(Done {
        field_days,
        visits: visits_count,
        households: households.unwrap_or(0),
        grievances_resolved,
    })
}
