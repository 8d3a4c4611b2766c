//! Visit review: the pending field visits of one's area, with their photos and the flags
//! their placement and EXIF raised, verified or flagged with a note through the same
//! rule as the API's `POST /visits/{id}/review`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::{form_field, render, Chrome, Notice};
use super::queue::{area_name, request_path};
use super::session::{Refusal, Signed};
use super::words::{self, label, words};
use super::ConsoleSettings;
use crate::db::visits::{self as store, Order, VisitFilter};
use crate::db::Db;
use crate::domain::{ReviewStatus, VisitId};
use crate::geo::Geography;
use crate::policy::{self, Permission};
use crate::visits::review::{record, Verdict};

const PAGE_ROWS: i64 = 30;

pub struct PendingVisit {
    pub id: String,
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
}

#[derive(Template)]
#[template(path = "visits.html")]
pub struct VisitsPage {
    pub c: Chrome,
    pub visits: Vec<PendingVisit>,
    pub notice: Option<Notice>,
}

async fn visits_page(
    req: &HttpRequest,
    signed: &Signed,
    db: &Db,
    geography: &Geography,
    settings: &ConsoleSettings,
    notice: Option<Notice>,
) -> Result<VisitsPage, Refusal> {
    let language = signed.language;
    policy::require(&signed.user, Permission::ReviewVisits)
        .map_err(|e| Refusal::from_api(e, language))?;
    let visibility = policy::visibility(&signed.user);
    let views = db
        .read(move |conn| {
            let filter = VisitFilter {
                review_statuses: vec![ReviewStatus::Pending],
                ..VisitFilter::default()
            };
            let rows = store::list(
                conn,
                &visibility,
                &filter,
                Order::NewestFirst,
                None,
                PAGE_ROWS,
            )?;
            Ok(crate::visits::view::views(conn, rows)?)
        })
        .await
        .map_err(|e| Refusal::from_api(e, language))?;
    let visits = views
        .into_iter()
        .map(|view| PendingVisit {
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
            id: view.id,
        })
        .collect();
    Ok(VisitsPage {
        c: Chrome::new(signed, "visits", request_path(req), &settings.tile_url),
        visits,
        notice,
    })
}

/// `GET /console/visits`.
pub async fn page(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
) -> Result<HttpResponse, Refusal> {
    let page = visits_page(&req, &signed, &db, &geography, &settings, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/visits/{id}/review`: verified, or flagged with a note.
pub async fn review(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    settings: web::Data<ConsoleSettings>,
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
    let (status, notice) = match outcome {
        Ok(view) => (
            StatusCode::OK,
            Notice::done(format!(
                "{}: {}",
                w.done,
                label(view.review_status, language)
            )),
        ),
        Err(error) => (
            actix_web::ResponseError::status_code(&error),
            Notice::refused(&error, language),
        ),
    };
    let page = visits_page(&req, &signed, &db, &geography, &settings, Some(notice)).await?;
    Ok(render(status, &page))
}
