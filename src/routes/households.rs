//! The target-group register over HTTP: thin handlers over `households::service`.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::grievances::with_etag;
use super::query::{
    if_match_version, narrow_to_circle, parse_area, parse_bool, parse_names, parse_near,
    parse_page, read_page,
};
use crate::auth::AuthUser;
use crate::db::households::{self as store, HouseholdFilter, HouseholdRow};
use crate::db::Db;
use crate::domain::{AreaScope, GeoPoint, TargetGroup};
use crate::error::{ApiError, Problem};
use crate::geo::Geography;
use crate::households::input::{HouseholdInput, HouseholdPatch, NewHousehold};
use crate::households::service::{self, ChangeRequest};
use crate::households::view::HouseholdView;
use crate::http::{Page, ValidJson};
use crate::policy;
use crate::privacy::PiiCipher;

/// Register a household. Sending the same household again is safe: 200 with what is
/// stored. Without `consent: true` no member's name, phone or national ID may be given
/// (422 `consent_required`); the household is still registered with its members' years
/// of birth, sex and target groups.
#[utoipa::path(
    tag = "households",
    request_body(content = HouseholdInput, example = super::examples::household),
    responses(
        (status = 201, body = HouseholdView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, body = HouseholdView, description = "the same household, already stored"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "id_conflict"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "validation_failed (consent_required, outside_area, ...)"),
    ),
    security(("bearer" = []))
)]
#[post("/households")]
pub async fn submit(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    cipher: web::Data<PiiCipher>,
    input: ValidJson<HouseholdInput>,
) -> Result<HttpResponse, ApiError> {
    let household =
        input.parse_with(|input| NewHousehold::parse(&input, &user, &geography, &cipher))?;
    let cipher = cipher.into_inner();
    let service::Filing { created, view } = db
        .write(move |conn| service::file(conn, &user, household, &cipher))
        .await?;
    let version = view.version;
    let response = if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/households/{}", view.id)))
            .json(view)
    } else {
        HttpResponse::Ok().json(view)
    };
    Ok(with_etag(response, version))
}

/// Every value is taken as text and checked by hand (`routes::query`), so a wrong one is
/// a 422 naming its parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// An area code inside one's own (one's own included); a wider or another area is
    /// refused with 403.
    pub area: Option<String>,
    /// Households with a current member in any of these groups.
    #[param(value_type = Option<Vec<TargetGroup>>, style = Form, explode = false)]
    pub target_group: Option<String>,
    /// Part of the address or of a member's name.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// `true`: households whose follow-up is due within the next seven days (Bangkok),
    /// overdue ones included: the volunteer's week. `false`: the others.
    #[param(value_type = Option<bool>)]
    pub follow_up_due: Option<String>,
    /// lat,lon; with radius_m.
    pub near: Option<String>,
    #[param(value_type = Option<f64>)]
    pub radius_m: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The households of one's area (volunteers too: a village's register is shared), by id,
/// members' numbers masked.
#[utoipa::path(
    tag = "households",
    params(ListQuery),
    responses(
        (status = 200, body = Page<HouseholdView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/households")]
pub async fn list(
    user: AuthUser,
    db: web::Data<Db>,
    cipher: web::Data<PiiCipher>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<HouseholdView>>, ApiError> {
    let mut errors = Vec::new();
    let target_groups: Vec<TargetGroup> =
        parse_names(&mut errors, "target_group", query.target_group.as_deref());
    let area = parse_area(&mut errors, query.area.as_deref());
    let near = parse_near(
        &mut errors,
        query.near.as_deref(),
        query.radius_m.as_deref(),
    );
    let follow_up_due = parse_bool(&mut errors, "follow_up_due", query.follow_up_due.as_deref());
    let page = parse_page(
        &mut errors,
        query.limit.as_deref(),
        query.cursor.as_deref(),
        "id",
        1,
    );
    let (Some(page), true) = (page, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let scope = match &area {
        None => policy::households_scope(&user),
        Some(area) => AreaScope::of(&policy::requested_area(&user, area)?),
    };
    let filter = HouseholdFilter {
        scope,
        target_groups,
        text: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(100).collect()),
        bbox: near.map(|circle| narrow_to_circle(None, circle)),
        follow_up_due: follow_up_due.map(|due| {
            (
                due,
                crate::households::follow_ups_due_by(chrono::Utc::now()),
            )
        }),
    };
    let after = page.after.as_ref().and_then(|key| key.first().cloned());
    let cipher = cipher.into_inner();
    let reader = service::Reader::of(&user);
    let (items, next_key) = db
        .read(move |conn| {
            let (rows, next_key) = read_page(
                &page,
                after,
                near,
                |row: &HouseholdRow| row.id.as_str().to_owned(),
                |row| GeoPoint::new(row.lat, row.lon),
                |after, count| Ok(store::list(conn, &filter, after.as_deref(), count)?),
            )?;
            Ok((
                service::views(conn, rows, &reader, false, &cipher)?,
                next_key,
            ))
        })
        .await?;
    Ok(web::Json(Page::in_order(
        items,
        "id",
        next_key.map(|key| vec![key]),
    )))
}

/// One household with its members (numbers masked) and its history.
#[utoipa::path(
    tag = "households",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = HouseholdView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/households/{id}")]
pub async fn get(
    user: AuthUser,
    db: web::Data<Db>,
    cipher: web::Data<PiiCipher>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cipher = cipher.into_inner();
    let view = db
        .read(move |conn| service::read(conn, &user, &id, &cipher))
        .await?;
    let version = view.version;
    Ok(with_etag(HttpResponse::Ok().json(view), version))
}

/// Change a household: the fields given replace the stored ones; members by `id` (a new
/// `id` adds a person, `removed: true` takes one off, of a known one only the fields
/// given change). Withdrawing consent removes every member's name, phone and national
/// ID. With `If-Match: "<version>"`, a stale version answers 412. Every change is kept in
/// the household's history.
#[utoipa::path(
    tag = "households",
    params(
        ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the version last read, quoted"),
    ),
    request_body(content = HouseholdPatch),
    responses(
        (status = 200, body = HouseholdView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "version_mismatch"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/households/{id}")]
pub async fn update(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    cipher: web::Data<PiiCipher>,
    id: web::Path<String>,
    input: ValidJson<HouseholdPatch>,
) -> Result<HttpResponse, ApiError> {
    let request = ChangeRequest {
        id: id.into_inner(),
        expected_version: if_match_version(&req)?,
        patch: input.into_inner()?,
    };
    let (geography, cipher) = (geography.into_inner(), cipher.into_inner());
    let view = db
        .write(move |conn| service::change(conn, &user, request, &geography, &cipher))
        .await?;
    let version = view.version;
    Ok(with_etag(HttpResponse::Ok().json(view), version))
}
