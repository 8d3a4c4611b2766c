//! One-year plans: one's own targets for a fiscal year, and progress against them.

use actix_web::{get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::db::plans::{self, PlanRow};
use crate::db::{users, Db};
use crate::domain::{FiscalYear, UserId};
use crate::error::{ApiError, Problem};
use crate::http::ValidJson;
use crate::policy::{self, Permission};
use crate::reports::plans::{Plan, PlanInput, Progress};
use crate::routes::query::today_in_bangkok;

fn fiscal_year(raw: &str) -> Result<FiscalYear, ApiError> {
    FiscalYear::parse(raw).map_err(|e| ApiError::parse_field("fiscal_year", e))
}

/// Set one's own targets for a fiscal year (Buddhist Era, e.g. 2570).
#[utoipa::path(
    tag = "plans",
    operation_id = "put",
    params(("fiscal_year" = String, Path, example = "2570")),
    request_body = PlanInput,
    responses(
        (status = 200, body = Plan),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/plans/{fiscal_year}")]
pub async fn put_plan(
    user: AuthUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: ValidJson<PlanInput>,
) -> Result<web::Json<Plan>, ApiError> {
    let year = fiscal_year(&path)?;
    let input = input.parse_with(|input| input.validate().map(|()| input))?;
    let row = PlanRow {
        user_id: user.id.to_string(),
        fiscal_year: i32::from(year.be()),
        weekly_field_days: input.weekly_field_days,
        visits_target: input.visits_target,
        households_target: input.households_target,
        grievances_resolved_target: input.grievances_resolved_target,
        updated_at: crate::db::now(),
    };
    let stored = row.clone();
    db.write(move |conn| {
        plans::upsert(conn, &row)?;
        user.audit(
            conn,
            "plan.set",
            "plan",
            Some(&format!("{}/{}", row.user_id, row.fiscal_year)),
            serde_json::json!({
                "weekly_field_days": row.weekly_field_days,
                "visits_target": row.visits_target,
                "households_target": row.households_target,
                "grievances_resolved_target": row.grievances_resolved_target,
            }),
        )?;
        Ok(())
    })
    .await?;
    Ok(web::Json(Plan::new(stored, year)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// Whose plan: one's own when absent; supervisors may name anyone in their area.
    pub user: Option<String>,
}

/// Targets, what has been done so far this fiscal year, and the pace expected by today.
#[utoipa::path(
    tag = "plans",
    params(("fiscal_year" = String, Path, example = "2570"), ProgressQuery),
    responses(
        (status = 200, body = Progress),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/plans/{fiscal_year}/progress")]
pub async fn progress(
    user: AuthUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    query: web::Query<ProgressQuery>,
) -> Result<web::Json<Progress>, ApiError> {
    let year = fiscal_year(&path)?;
    let subject = match query.into_inner().user {
        None => user.id.to_string(),
        Some(other) if other == user.id.as_str() => other,
        Some(other) => {
            policy::require(&user, Permission::ReadOthersPlans)?;
            other
        }
    };
    let scope = user.scope.clone();
    let today = today_in_bangkok();
    let (start, end) = year.utc_range();
    let (row, done) = db
        .read(move |conn| {
            // Someone outside the supervisor's area is "not found", like any record.
            let subject_id = UserId::unchecked(subject.clone());
            if subject_id != user.id && users::find_in_scope(conn, &subject_id, &scope)?.is_none() {
                return Err(ApiError::NotFound);
            }
            let row =
                plans::find(conn, &subject, i32::from(year.be()))?.ok_or(ApiError::NotFound)?;
            let until = crate::db::now().min(end.naive_utc());
            let done = plans::done(conn, &subject, start.naive_utc(), until)?;
            Ok((row, done))
        })
        .await?;
    Ok(web::Json(Progress::new(
        Plan::new(row, year),
        year,
        done,
        today,
    )))
}
