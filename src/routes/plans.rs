//! One-year plans: one's own targets for a fiscal year, the plans a supervisor sets for
//! the people of its area, and progress against them by person and by area.

use actix_web::{get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::plans::{self, PlanRow, Whose};
use crate::db::{users, Db};
use crate::domain::{AreaScope, FiscalYear, UserId};
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::geo::Geography;
use crate::http::ValidJson;
use crate::policy::{self, Permission};
use crate::reports::plans::{AreaProgress, Plan, PlanInput, Progress};
use crate::routes::query::{parse_area, today_in_bangkok};

/// A fiscal year in the path, Buddhist Era (422 naming `fiscal_year` otherwise).
pub fn fiscal_year(raw: &str) -> Result<FiscalYear, ApiError> {
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
    let subject = user.id.clone();
    set_plan(&db, user, subject, year, input)
        .await
        .map(web::Json)
}

/// Set the targets of someone in one's area: a supervisor for its volunteers and
/// officials, an admin for anyone.
#[utoipa::path(
    tag = "plans",
    operation_id = "put_for_user",
    params(
        ("fiscal_year" = String, Path, example = "2570"),
        ("user_id" = String, Path),
    ),
    request_body = PlanInput,
    responses(
        (status = 200, body = Plan),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/plans/{fiscal_year}/users/{user_id}")]
pub async fn put_plan_for(
    user: AuthUser,
    db: web::Data<Db>,
    path: web::Path<(String, String)>,
    input: ValidJson<PlanInput>,
) -> Result<web::Json<Plan>, ApiError> {
    let (year, subject) = path.into_inner();
    let year = fiscal_year(&year)?;
    let input = input.parse_with(|input| input.validate().map(|()| input))?;
    set_plan(&db, user, UserId::unchecked(subject), year, input)
        .await
        .map(web::Json)
}

/// Sets `subject`'s plan for `year` on behalf of `user`, who must be allowed to
/// (`policy::may_set_plan`); someone outside the user's area is not found. Audited.
pub async fn set_plan(
    db: &Db,
    user: AuthUser,
    subject: UserId,
    year: FiscalYear,
    input: PlanInput,
) -> Result<Plan, ApiError> {
    if subject != user.id {
        policy::require(&user, Permission::ManageAccounts)?;
    }
    let stored = db
        .write(move |conn| {
            if subject != user.id {
                let target =
                    users::find_in_scope(conn, &subject, &user.scope)?.ok_or(ApiError::NotFound)?;
                if !policy::may_set_plan(&user, &target.id, target.role) {
                    return Err(ApiError::forbidden(
                        "you may set the plans of the volunteers and officials of your area",
                        "ท่านกำหนดแผนได้เฉพาะของอาสาสมัครและเจ้าหน้าที่ในพื้นที่ของท่าน",
                    ));
                }
            }
            let row = PlanRow {
                user_id: subject.to_string(),
                fiscal_year: i32::from(year.be()),
                weekly_field_days: input.weekly_field_days,
                visits_target: input.visits_target,
                households_target: input.households_target,
                grievances_resolved_target: input.grievances_resolved_target,
                updated_at: crate::db::now(),
            };
            plans::upsert(conn, &row)?;
            user.audit(
                conn,
                "plan.set",
                "plan",
                Some(&format!("{}/{}", row.user_id, row.fiscal_year)),
                serde_json::json!({
                    "user_id": row.user_id,
                    "weekly_field_days": row.weekly_field_days,
                    "visits_target": row.visits_target,
                    "households_target": row.households_target,
                    "grievances_resolved_target": row.grievances_resolved_target,
                }),
            )?;
            Ok(row)
        })
        .await?;
    Ok(Plan::new(stored, year))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// Whose plan: one's own when absent; supervisors may name anyone in their area.
    pub user: Option<String>,
    /// An area's plan instead, rolled up from its people (officials and up, within their
    /// area). Not with `user`.
    #[param(example = "50")]
    pub area: Option<String>,
}

/// One person's progress, or an area's (with `area`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProgressAnswer {
    Person(Box<Progress>),
    Area(Box<AreaProgress>),
}

/// Targets, what has been done so far this fiscal year, and the pace expected by today:
/// one person's, or an area's by person and sub-area.
#[utoipa::path(
    tag = "plans",
    params(("fiscal_year" = String, Path, example = "2570"), ProgressQuery),
    responses(
        (status = 200, body = ProgressAnswer),
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
    geography: web::Data<Geography>,
    path: web::Path<String>,
    query: web::Query<ProgressQuery>,
) -> Result<web::Json<ProgressAnswer>, ApiError> {
    let year = fiscal_year(&path)?;
    let query = query.into_inner();
    if query.user.is_some() && query.area.is_some() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "area",
            FieldCode::NotAllowedValue,
            "ask for a user or an area, not both",
            "ระบุผู้ใช้หรือพื้นที่อย่างใดอย่างหนึ่ง",
        )]));
    }
    if let Some(raw) = query.area {
        return area_progress(&db, geography.into_inner(), user, year, &raw)
            .await
            .map(|p| web::Json(ProgressAnswer::Area(Box::new(p))));
    }
    person_progress(&db, user, year, query.user)
        .await
        .map(|p| web::Json(ProgressAnswer::Person(Box::new(p))))
}

/// One person's progress: one's own, or (supervisors) someone's in one's area.
pub async fn person_progress(
    db: &Db,
    user: AuthUser,
    year: FiscalYear,
    whose: Option<String>,
) -> Result<Progress, ApiError> {
    let subject = match whose {
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
        .read_report(move |conn| {
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
    Ok(Progress::new(Plan::new(row, year), year, done, today))
}

/// An area's progress (officials and up, inside their own area).
pub async fn area_progress(
    db: &Db,
    geography: std::sync::Arc<Geography>,
    user: AuthUser,
    year: FiscalYear,
    raw_area: &str,
) -> Result<AreaProgress, ApiError> {
    policy::require(&user, Permission::ReadReports)?;
    let mut errors = Vec::new();
    let Some(area) = parse_area(&mut errors, Some(raw_area)) else {
        return Err(ApiError::Validation(errors));
    };
    let area = policy::requested_area(&user, &area)?;
    let today = today_in_bangkok();
    let (start, end) = year.utc_range();
    db.read_report(move |conn| {
        let scope = AreaScope::of(&area);
        let people = plans::people_of_area(conn, &scope, i32::from(year.be()))?;
        let until = crate::db::now().min(end.naive_utc());
        let done = plans::done_by_person(conn, Whose::Area(&scope), start.naive_utc(), until)?;
        Ok(AreaProgress::new(
            &area, year, people, done, today, &geography,
        ))
    })
    .await
}
