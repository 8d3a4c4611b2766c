//! Visit review: the pending field visits of one's area, with their photos and the flags
//! their placement and EXIF raised, verified or flagged with a note through the same
//! rule as the API's `POST /visits/{id}/review`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::PageContext;
use super::pages::{form_field, render, Chrome, Notice};
use super::queue::area_name;
use super::session::{Refusal, Signed};
use super::words::{self, label, words};
use super::ConsoleSettings;
use crate::db::visits::{self as store, Order, VisitFilter};
use crate::db::Db;
use crate::domain::{
    Activity, HouseholdId, IsoWeek, ReviewStatus, TargetGroup, Visibility, VisitId,
};
use crate::error::{ApiError, FieldError};
use crate::geo::Geography;
use crate::policy::{self, Permission};
use crate::routes::query::{parse_area, parse_names};
use crate::visits::review::{record, Verdict};
use chrono::Weekday;
use serde::Deserialize;

const PAGE_ROWS: i64 = 30;

pub struct PendingVisit {
    pub id: String,
    /// Pending, and the reader may review it: the review form is shown.
    pub reviewable: bool,
    pub review: String,
    pub date: String,
    pub author: String,
    pub area: String,
    pub activity: String,
    pub target_groups: String,
    pub summary: String,
    pub households: i64,
    pub people: i64,
    pub flags: Vec<String>,
    pub photos: Vec<super::case::PhotoItem>,
    /// The household of the register visited, whose timeline the card links to.
    pub household: Option<String>,
}

#[derive(Template)]
#[template(path = "visits.html")]
pub struct VisitsPage {
    pub c: Chrome,
    pub visits: Vec<PendingVisit>,
    pub notice: Option<Notice>,
    /// What the list was narrowed to (a dashboard's figure), or empty for the review
    /// queue.
    pub narrowed: String,
}

/// A dashboard figure's visits: the week, the area, a target group or an activity.
#[derive(Debug, Default, Deserialize)]
pub struct VisitsQuery {
    week: Option<String>,
    area: Option<String>,
    target_group: Option<String>,
    activity: Option<String>,
    /// The visits to one household (from its timeline).
    household: Option<String>,
}

impl VisitsQuery {
    fn narrows(&self) -> bool {
        self.week.is_some()
            || self.area.is_some()
            || self.target_group.is_some()
            || self.activity.is_some()
            || self.household.is_some()
    }
}

/// Visits listed when browsing a figure.
const BROWSED_ROWS: i64 = 100;

async fn visits_page(
    cx: &PageContext<'_>,
    geography: &Geography,
    week_start: &Weekday,
    notice: Option<Notice>,
    query: &VisitsQuery,
) -> Result<VisitsPage, Refusal> {
    let PageContext { signed, db, .. } = *cx;
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    let may_review = policy::allows(signed.user.role, Permission::ReviewVisits);
    let (filter, visibility, rows, narrowed) = if query.narrows() {
        narrowed_filter(signed, query, *week_start)?
    } else {
        policy::require(&signed.user, Permission::ReviewVisits).map_err(refuse)?;
        let filter = VisitFilter {
            review_statuses: vec![ReviewStatus::Pending],
            ..VisitFilter::default()
        };
        (
            filter,
            policy::visibility(&signed.user),
            PAGE_ROWS,
            String::new(),
        )
    };
    let views = db
        .read(move |conn| {
            let rows = store::list(conn, &visibility, &filter, Order::NewestFirst, None, rows)?;
            Ok(crate::visits::view::views(conn, rows)?)
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let visits = views
        .into_iter()
        .map(|view| PendingVisit {
            reviewable: may_review && view.review_status == ReviewStatus::Pending,
            review: label(view.review_status, language),
            date: words::when(view.visited_at, language),
            author: view.author.display_name.clone(),
            area: area_name(geography, &view.area_code, language),
            activity: label(view.activity, language),
            target_groups: view
                .target_groups
                .iter()
                .map(|g| label(*g, language))
                .collect::<Vec<_>>()
                .join(", "),
            summary: view.summary.clone(),
            households: view.households_visited,
            people: view.people_reached,
            flags: view.flags.iter().map(|f| label(*f, language)).collect(),
            photos: view
                .photos
                .iter()
                .map(|photo| super::case::PhotoItem {
                    url: format!("/console/visits/{}/photos/{}", view.id, photo.id),
                    taken: photo
                        .taken_at
                        .map(|at| words::when(at, language))
                        .unwrap_or_default(),
                    flags: photo.flags.iter().map(|f| label(*f, language)).collect(),
                })
                .collect(),
            household: view.household_id.clone(),
            id: view.id,
        })
        .collect();
    Ok(VisitsPage {
        c: cx.chrome("visits"),
        visits,
        notice,
        narrowed,
    })
}

/// The filter of a dashboard figure's visits (officials and up, inside their area), with
/// what it says in words.
fn narrowed_filter(
    signed: &Signed,
    query: &VisitsQuery,
    week_start: Weekday,
) -> Result<(VisitFilter, Visibility, i64, String), Refusal> {
    let language = signed.language;
    let refuse = |e| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ReadReports).map_err(refuse)?;
    let mut errors = Vec::new();
    let area = parse_area(&mut errors, query.area.as_deref());
    let week = query.week.as_deref().and_then(|raw| {
        IsoWeek::parse(raw)
            .map_err(|e| errors.push(FieldError::parse("week", e)))
            .ok()
    });
    let groups: Vec<TargetGroup> =
        parse_names(&mut errors, "target_group", query.target_group.as_deref());
    let activities: Vec<Activity> = parse_names(&mut errors, "activity", query.activity.as_deref());
    let household = query.household.as_deref().and_then(|raw| {
        HouseholdId::parse(raw)
            .map_err(|e| errors.push(FieldError::parse("household", e)))
            .ok()
    });
    if !errors.is_empty() {
        return Err(refuse(ApiError::Validation(errors)));
    }
    let visibility = policy::visibility_within(&signed.user, area.as_ref()).map_err(refuse)?;
    let mut said = Vec::new();
    if let Some(area) = &area {
        said.push(area.as_str().to_owned());
    }
    if let Some(household) = &household {
        said.push(format!(
            "{} {}",
            words(language).household,
            household.as_str()
        ));
    }
    let mut filter = VisitFilter {
        target_groups: groups.clone(),
        activities: activities.clone(),
        household,
        ..VisitFilter::default()
    };
    if let Some(week) = week {
        let (from, to) = week.utc_range(week_start);
        filter.from = Some(from.naive_utc());
        filter.to = Some(to.naive_utc());
        said.push(week.thai_label(week_start));
    }
    said.extend(groups.iter().map(|g| label(*g, language)));
    said.extend(activities.iter().map(|a| label(*a, language)));
    Ok((filter, visibility, BROWSED_ROWS, said.join(" · ")))
}

/// `GET /console/visits`: the review queue (supervisors), or with `week`, `area`,
/// `target_group` or `activity` a dashboard figure's visits (officials and up).
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    week_start: web::Data<Weekday>,
    query: web::Query<VisitsQuery>,
) -> Result<HttpResponse, Refusal> {
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = visits_page(&cx, &geography, &week_start, None, &query).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/visits/{id}/review`: verified, or flagged with a note.
#[allow(clippy::too_many_arguments)] // an actix handler: one argument per extractor
pub async fn review(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
    week_start: web::Data<Weekday>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let form = form.into_inner();
    signed.check_csrf(&req, &form)?;
    let language = signed.language;
    let status = match form_field(&form, "review_status").as_deref() {
        Some("verified") => ReviewStatus::Verified,
        Some("flagged") => ReviewStatus::Flagged,
        _ => ReviewStatus::Pending,
    };
    let outcome = match Verdict::parse(status, form_field(&form, "note").as_deref()) {
        Ok(verdict) => {
            let user = signed.user.clone();
            let id = VisitId::unchecked(id.into_inner());
            db.write(move |conn| record(conn, &user, &id, &verdict))
                .await
        }
        Err(error) => Err(error),
    };
    let w = words(language);
    let (status, notice) = Notice::after(outcome, language, |view| {
        format!("{}: {}", w.done, label(view.review_status, language))
    });
    let cx = PageContext::new(&req, &signed, &db, &settings);
    let page = visits_page(
        &cx,
        &geography,
        &week_start,
        Some(notice),
        &VisitsQuery::default(),
    )
    .await?;
    Ok(render(status, &page))
}
