//! One-year plans in the console: an area's plan rolled up from its people, by sub-area
//! and by person, against the pace expected by today; a supervisor sets the plans of the
//! volunteers and officials of its area here. The figures and the rules are the API's
//! (`routes::plans::area_progress`, `set_plan`, `policy::may_set_plan`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::pages::PageContext;
use super::pages::{form_field, render, url_encode, Chrome, Notice};
use super::session::{Refusal, Signed};
use super::words::{label, words};
use super::ConsoleSettings;
use crate::db::Db;
use crate::domain::{FiscalYear, Language, UserId};
use crate::error::ApiError;
use crate::geo::Geography;
use crate::policy::{self, Permission};
use crate::reports::plans::{AreaProgress, Figures, PlanInput, PlanTotals, Targets};
use crate::routes::plans::{area_progress, fiscal_year, set_plan};

#[derive(Debug, Default, Deserialize)]
pub struct PlansQuery {
    fy: Option<String>,
    area: Option<String>,
}

/// A line of figures: targets for the year, done so far, expected by today.
pub struct Line {
    pub name: String,
    /// The year's targets in words; empty without a plan.
    pub targets: String,
    pub href: String,
    pub people: String,
    pub field_days: String,
    pub visits: String,
    pub households: String,
    pub resolved: String,
    pub behind: bool,
}

/// A person's line, with their plan's current targets for the form.
pub struct PersonLine {
    pub line: Line,
    pub user_id: String,
    pub role: String,
    pub area: String,
    pub has_plan: bool,
    pub editable: bool,
    pub targets: [i32; 4],
}

#[derive(Template)]
#[template(path = "plans.html")]
pub struct PlansPage {
    pub c: Chrome,
    pub year: i32,
    pub year_range: String,
    pub area_name: String,
    pub area_code: String,
    pub as_of: String,
    pub elapsed: String,
    pub total: Line,
    pub by_area: Vec<Line>,
    pub people: Vec<PersonLine>,
    pub people_total: i64,
    pub notice: Option<Notice>,
    pub previous_href: String,
    pub next_href: String,
}

/// `done / expected` for one figure, e.g. `12 / 20.5`; just what was done where nothing
/// was planned.
fn pair(done: f64, expected: f64, planned: bool) -> String {
    if planned {
        format!("{} / {}", trim(done), trim(expected))
    } else {
        trim(done)
    }
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The year's targets as a person reads them.
fn targets_text(t: &Targets, language: Language) -> String {
    let w = words(language);
    format!(
        "{} {} · {} {} · {} {} · {} {}",
        w.weekly_field_days,
        t.weekly_field_days,
        w.visits_target,
        t.visits_target,
        w.households_target,
        t.households_target,
        w.resolved_target,
        t.grievances_resolved_target
    )
}

fn line_of(name: String, href: String, totals: &PlanTotals, language: Language) -> Line {
    let (d, e) = (&totals.done, &totals.expected_by_today);
    let planned = totals.people_with_plan > 0;
    Line {
        targets: if planned {
            targets_text(&totals.targets, language)
        } else {
            String::new()
        },
        name,
        href,
        people: format!("{} ({})", totals.people, totals.people_with_plan),
        behind: planned && behind(d, e),
        field_days: pair(d.field_days, e.field_days, planned),
        visits: pair(d.visits, e.visits, planned),
        households: pair(d.households, e.households, planned),
        resolved: pair(d.grievances_resolved, e.grievances_resolved, planned),
    }
}

fn behind(done: &Figures, expected: &Figures) -> bool {
    done.visits < expected.visits || done.field_days < expected.field_days
}

fn plans_href(year: i32, area: &str) -> String {
    format!("/console/plans?fy={year}&area={}", url_encode(area))
}

async fn plans_page(
    cx: &PageContext<'_>,
    geography: std::sync::Arc<Geography>,
    query: &PlansQuery,
    notice: Option<Notice>,
) -> Result<PlansPage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    let year = match query.fy.as_deref().filter(|y| !y.is_empty()) {
        Some(raw) => fiscal_year(raw).map_err(refuse)?,
        None => FiscalYear::containing_instant(Utc::now())
            .map_err(|e| refuse(ApiError::parse_field("fiscal_year", e)))?,
    };
    let area = query
        .area
        .clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| signed.user.area.as_str().to_owned());
    let progress: AreaProgress =
        area_progress(db, geography.clone(), signed.user.clone(), year, &area)
            .await
            .map_err(refuse)?;
    let be = i32::from(year.be());
    let name_of = |code: &str| geography.name_of(code, language).to_owned();
    let may_manage = policy::allows(signed.user.role, Permission::ManageAccounts);
    let people = progress
        .people
        .iter()
        .map(|person| {
            let expected = person.expected_by_today.as_ref();
            let zero = Figures::default();
            let e = expected.unwrap_or(&zero);
            let d = &person.done;
            let t: Option<&Targets> = person.targets.as_ref();
            let id = UserId::unchecked(person.user_id.clone());
            PersonLine {
                line: Line {
                    targets: t.map(|t| targets_text(t, language)).unwrap_or_default(),
                    name: person.display_name.clone(),
                    href: String::new(),
                    people: String::new(),
                    behind: expected.is_some() && behind(d, e),
                    field_days: pair(d.field_days, e.field_days, expected.is_some()),
                    visits: pair(d.visits, e.visits, expected.is_some()),
                    households: pair(d.households, e.households, expected.is_some()),
                    resolved: pair(
                        d.grievances_resolved,
                        e.grievances_resolved,
                        expected.is_some(),
                    ),
                },
                role: label(person.role, language),
                area: format!("{} {}", person.area_code, name_of(&person.area_code)),
                has_plan: t.is_some(),
                editable: may_manage && policy::may_set_plan(&signed.user, &id, person.role),
                targets: t.map_or([1, 0, 0, 0], |t| {
                    [
                        t.weekly_field_days,
                        t.visits_target,
                        t.households_target,
                        t.grievances_resolved_target,
                    ]
                }),
                user_id: person.user_id.clone(),
            }
        })
        .collect();
    Ok(PlansPage {
        c: cx.chrome("plans"),
        year: be,
        year_range: format!(
            "{} – {}",
            crate::domain::buddhist_era_date(year.first_day(), language),
            crate::domain::buddhist_era_date(year.last_day(), language)
        ),
        area_name: format!("{} {}", progress.area_code, name_of(&progress.area_code)),
        area_code: progress.area_code.clone(),
        as_of: crate::domain::buddhist_era_date(progress.as_of, language),
        elapsed: format!("{:.1}%", progress.elapsed_fraction * 100.0),
        total: line_of(
            words(language).area_total.to_owned(),
            String::new(),
            &progress.totals,
            language,
        ),
        by_area: progress
            .by_area
            .iter()
            .map(|a| {
                line_of(
                    format!("{} {}", a.area_code, name_of(&a.area_code)),
                    plans_href(be, &a.area_code),
                    &a.totals,
                    language,
                )
            })
            .collect(),
        people,
        people_total: progress.people_total,
        notice,
        previous_href: year
            .previous()
            .map(|y| plans_href(i32::from(y.be()), &progress.area_code))
            .unwrap_or_default(),
        next_href: year
            .next()
            .map(|y| plans_href(i32::from(y.be()), &progress.area_code))
            .unwrap_or_default(),
    })
}

/// `GET /console/plans?fy=&area=`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    query: web::Query<PlansQuery>,
) -> Result<HttpResponse, Refusal> {
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = plans_page(&cx, geography.into_inner(), &query, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/plans/{fy}/users/{id}`: sets a person's plan, then shows the area again
/// with what came of it.
pub async fn set(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let (raw_year, subject) = path.into_inner();
    let number = |name: &str| {
        form_field(&form, name)
            .and_then(|v| v.parse::<i32>().ok())
            .unwrap_or(-1)
    };
    let input = PlanInput {
        weekly_field_days: number("weekly_field_days"),
        visits_target: number("visits_target"),
        households_target: number("households_target"),
        grievances_resolved_target: number("grievances_resolved_target"),
    };
    let outcome = match (fiscal_year(&raw_year), input.validate()) {
        (Ok(year), Ok(())) => {
            set_plan(
                &db,
                signed.user.clone(),
                UserId::unchecked(subject),
                year,
                input,
            )
            .await
        }
        (Err(error), _) => Err(error),
        (_, Err(errors)) => Err(ApiError::Validation(errors)),
    };
    let (status, notice) =
        Notice::after(outcome, language, |_| words(language).plan_saved.to_owned());
    let query = PlansQuery {
        fy: Some(raw_year),
        area: form_field(&form, "area"),
    };
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = plans_page(&cx, geography.into_inner(), &query, Some(notice)).await?;
    Ok(render(status, &page))
}
