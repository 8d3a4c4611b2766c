//! Field visits: filing (one, or a batch from offline sync), reading, review, photos.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, Credentials};
use crate::db::visits::{self, Order, VisitFilter, VisitRow};
use crate::db::{Db, Filed};
use crate::domain::{
    Activity, GeoPoint, HouseholdId, IsoWeek, Language, PhotoRecord, ReviewStatus, TargetGroup,
    VisitId,
};
use crate::error::{ApiError, ConflictCode, FieldCode, FieldError, Problem};
use crate::geo::Geography;
use crate::households::service as households;
use crate::http::{BatchJson, Page, Shape, ValidJson};
use crate::photos::PhotoStore;
use crate::placement::Flag;
use crate::policy;
use crate::routes::query::{
    count_matching, narrow_to_circle, parse_area, parse_bbox, parse_bool, parse_instant_bound,
    parse_names, parse_near, parse_page, parse_time_id_key, parse_user_id, read_page, time_id_key,
};
use crate::visits::filing::FilingDesk;
use crate::visits::input::{NewVisit, VisitInput, VisitRules};
use crate::visits::review::{record as record_review, Verdict};
use crate::visits::view::{PhotoView, VisitView};

pub const MAX_BATCH: usize = 200;

fn id_conflict(id: &str) -> ApiError {
    ApiError::conflict(
        ConflictCode::IdConflict,
        format!("visit {id} already exists with different content"),
        format!("มีการเยี่ยมบ้านรหัส {id} ที่มีเนื้อหาต่างกันอยู่แล้ว"),
    )
}

/// File one visit. Sending the same visit again is safe: 200 with what is stored.
#[utoipa::path(
    tag = "visits",
    request_body(content = VisitInput, example = super::examples::visit),
    responses(
        (status = 201, body = VisitView, headers(("Location" = String))),
        (status = 200, body = VisitView, description = "the same visit, already stored"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "id_conflict"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/visits")]
pub async fn submit(
    user: AuthUser,
    db: web::Data<Db>,
    filings: web::Data<FilingDesk>,
    geography: web::Data<Geography>,
    rules: web::Data<VisitRules>,
    input: ValidJson<VisitInput>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let visit = input.parse_with(|input| NewVisit::parse(input, &user, &geography, &rules, now))?;
    if let Some(household) = visit.household_id.clone() {
        db.read(move |conn| households::check_reference(conn, &user, &household))
            .await?;
    }
    let id = visit.id.clone();
    match filings.file(visit).await? {
        Filed::Created(view) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/visits/{}", view.id)))
            .json(view)),
        Filed::Replayed(view) => Ok(HttpResponse::Ok().json(view)),
        Filed::Conflict => Err(id_conflict(id.as_str())),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// At most 200 visits.
    #[schema(value_type = Vec<VisitInput>)]
    pub visits: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    /// The item's id, when it had a readable one.
    pub id: Option<String>,
    /// 201 filed, 200 already stored, 409 id conflict, 422 invalid.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visit: Option<VisitView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// One outcome per item, in order.
    pub results: Vec<BatchItemResult>,
}

/// File up to 200 visits from offline sync. Each item gets its own outcome; the good ones
/// are committed together and a bad one never sinks the others.
#[utoipa::path(
    tag = "visits",
    request_body(content = BatchInput, example = super::examples::visit_batch),
    responses(
        (status = 200, body = BatchResult),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/visits/batch")]
pub async fn submit_batch(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    rules: web::Data<VisitRules>,
    language: Language,
    input: BatchJson<BatchInput>,
) -> Result<web::Json<BatchResult>, ApiError> {
    let items = input.into_inner().visits;
    if items.len() > MAX_BATCH {
        return Err(ApiError::field(
            "visits",
            FieldCode::TooMany,
            format!("must hold at most {MAX_BATCH} visits"),
            format!("ส่งได้ครั้งละไม่เกิน {MAX_BATCH} รายการ"),
        ));
    }
    let now = Utc::now();
    let mut results: Vec<Option<BatchItemResult>> = Vec::with_capacity(items.len());
    let mut valid: Vec<(usize, NewVisit)> = Vec::new();
    for (index, raw) in items.into_iter().enumerate() {
        let id = raw.get("id").and_then(|id| id.as_str()).map(str::to_owned);
        let parsed = Shape::of::<VisitInput>()
            .read::<VisitInput>(raw)
            .parse_with(|input| NewVisit::parse(input, &user, &geography, &rules, now));
        match parsed {
            Ok(visit) => {
                valid.push((index, visit));
                results.push(None);
            }
            Err(errors) => results.push(Some(BatchItemResult {
                id,
                status: 422,
                visit: None,
                problem: Some(ApiError::Validation(errors).problem(language)),
            })),
        }
    }

    // Each household named once, checked for the filer: an item naming one it may not
    // read is refused alone.
    let mut named: Vec<HouseholdId> = valid
        .iter()
        .filter_map(|(_, visit)| visit.household_id.clone())
        .collect();
    named.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    named.dedup();
    let reader = user.clone();
    let refused: Vec<(HouseholdId, ApiError)> = db
        .read(move |conn| {
            let mut refused = Vec::new();
            for household in named {
                if let Err(error) = households::check_reference(conn, &reader, &household) {
                    refused.push((household, error));
                }
            }
            Ok(refused)
        })
        .await?;
    let valid: Vec<(usize, NewVisit)> = valid
        .into_iter()
        .filter_map(|(index, visit)| {
            let refusal = visit
                .household_id
                .as_ref()
                .and_then(|h| refused.iter().find(|(r, _)| r == h));
            match refusal {
                Some((_, error)) => {
                    results[index] = Some(BatchItemResult {
                        id: Some(visit.id.to_string()),
                        status: 422,
                        visit: None,
                        problem: Some(error.problem(language)),
                    });
                    None
                }
                None => Some((index, visit)),
            }
        })
        .collect();
    let (indexes, ids): (Vec<usize>, Vec<String>) = valid
        .iter()
        .map(|(index, visit)| (*index, visit.id.to_string()))
        .unzip();
    let visits_to_file: Vec<NewVisit> = valid.into_iter().map(|(_, visit)| visit).collect();
    let filed = db
        .write_one_statement(move |write| Ok(crate::visits::filing::file(write, visits_to_file)?))
        .await?;
    for ((index, id), outcome) in indexes.into_iter().zip(ids).zip(filed) {
        results[index] = Some(match outcome {
            Filed::Created(view) => BatchItemResult {
                id: Some(id),
                status: 201,
                visit: Some(*view),
                problem: None,
            },
            Filed::Replayed(view) => BatchItemResult {
                id: Some(id),
                status: 200,
                visit: Some(*view),
                problem: None,
            },
            Filed::Conflict => BatchItemResult {
                problem: Some(id_conflict(&id).problem(language)),
                id: Some(id),
                status: 409,
                visit: None,
            },
        });
    }
    Ok(web::Json(BatchResult {
        results: results.into_iter().flatten().collect(),
    }))
}

/// Every value is taken as text and checked by hand (`routes::query`), so a wrong one is
/// a 422 naming its parameter. Enumerated filters take one value or several separated by
/// commas, and match any of them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Visits at or after this instant (RFC 3339) or day (YYYY-MM-DD, Bangkok).
    pub from: Option<String>,
    /// Visits before this instant, or up to the end of this day (Bangkok).
    pub to: Option<String>,
    /// An ISO week in Bangkok time, e.g. 2026-W47.
    pub week: Option<String>,
    /// An area code inside one's own (one's own included); a wider or another area is
    /// refused with 403.
    pub area: Option<String>,
    /// A user id.
    pub author: Option<String>,
    /// Visits for any of these groups.
    #[param(value_type = Option<Vec<TargetGroup>>, style = Form, explode = false)]
    pub target_group: Option<String>,
    #[param(value_type = Option<Vec<ReviewStatus>>, style = Form, explode = false)]
    pub review_status: Option<String>,
    #[param(value_type = Option<Vec<Activity>>, style = Form, explode = false)]
    pub activity: Option<String>,
    /// Visits carrying any of these placement flags.
    #[param(value_type = Option<Vec<Flag>>, style = Form, explode = false)]
    pub flag: Option<String>,
    #[param(value_type = Option<bool>)]
    pub follow_up_needed: Option<String>,
    /// `true`: only visits still waiting for photos (`photos_received` below
    /// `photos_expected`); `false`: only those with all of them.
    #[param(value_type = Option<bool>)]
    pub photos_missing: Option<String>,
    /// Only visits changed (filed or reviewed) after this instant, least recently changed
    /// first: what a phone pulls to learn of reviews. Compare `updated_at`.
    pub updated_since: Option<String>,
    /// minLon,minLat,maxLon,maxLat
    pub bbox: Option<String>,
    /// lat,lon; with radius_m.
    pub near: Option<String>,
    #[param(value_type = Option<f64>)]
    pub radius_m: Option<String>,
    /// `true` adds `total`, the number of visits matching the filters, to every page.
    #[param(value_type = Option<bool>)]
    pub count: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// Visits, newest first (or by update time with `updated_since`). Volunteers see their
/// own; staff see their area.
#[utoipa::path(
    tag = "visits",
    params(ListQuery),
    responses(
        (status = 200, body = Page<VisitView>),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "`area` is wider than one's own, or outside it"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/visits")]
pub async fn list(
    user: AuthUser,
    db: web::Data<Db>,
    week_start: web::Data<chrono::Weekday>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<VisitView>>, ApiError> {
    let query = query.into_inner();
    let mut errors = Vec::new();
    let mut filter = VisitFilter {
        household: None,
        from: parse_instant_bound(&mut errors, "from", query.from.as_deref(), false),
        to: parse_instant_bound(&mut errors, "to", query.to.as_deref(), true),
        author: query
            .author
            .as_deref()
            .and_then(|a| parse_user_id(&mut errors, "author", a)),
        target_groups: parse_names(&mut errors, "target_group", query.target_group.as_deref()),
        review_statuses: parse_names(&mut errors, "review_status", query.review_status.as_deref()),
        activities: parse_names(&mut errors, "activity", query.activity.as_deref()),
        flags: parse_names::<Flag>(&mut errors, "flag", query.flag.as_deref())
            .into_iter()
            .map(Flag::as_str)
            .collect(),
        follow_up_needed: parse_bool(
            &mut errors,
            "follow_up_needed",
            query.follow_up_needed.as_deref(),
        ),
        photos_missing: parse_bool(
            &mut errors,
            "photos_missing",
            query.photos_missing.as_deref(),
        ),
        updated_since: parse_instant_bound(
            &mut errors,
            "updated_since",
            query.updated_since.as_deref(),
            false,
        ),
        bbox: parse_bbox(&mut errors, query.bbox.as_deref()),
    };
    if let Some(raw) = query.week.as_deref() {
        match IsoWeek::parse(raw) {
            Ok(week) => {
                let (start, end) = week.utc_range(**week_start);
                filter.from = Some(
                    filter
                        .from
                        .map_or(start.naive_utc(), |f| f.max(start.naive_utc())),
                );
                filter.to = Some(
                    filter
                        .to
                        .map_or(end.naive_utc(), |t| t.min(end.naive_utc())),
                );
            }
            Err(e) => errors.push(FieldError::parse("week", e)),
        }
    }
    let near = parse_near(
        &mut errors,
        query.near.as_deref(),
        query.radius_m.as_deref(),
    );
    let count = parse_bool(&mut errors, "count", query.count.as_deref()).unwrap_or(false);
    let area = parse_area(&mut errors, query.area.as_deref());
    let order = if filter.updated_since.is_some() {
        Order::UpdatedAscending
    } else {
        Order::NewestFirst
    };
    let page = parse_page(
        &mut errors,
        query.limit.as_deref(),
        query.cursor.as_deref(),
        order.name(),
        2,
    );
    let (Some(page), true) = (page, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let after = parse_time_id_key(&page)?;
    let visibility = policy::visibility_within(&user, area.as_ref())?;
    if let Some(circle) = near {
        filter.bbox = Some(narrow_to_circle(filter.bbox, circle));
    }

    let (items, next_key, total) = db
        .read(move |conn| {
            let (rows, next_key) = read_page(
                &page,
                after,
                near,
                |row: &VisitRow| visits::order_key(row, order),
                |row| GeoPoint::new(row.lat, row.lon),
                |after, count| {
                    Ok(visits::list(
                        conn,
                        &visibility,
                        &filter,
                        order,
                        after,
                        count,
                    )?)
                },
            )?;
            let items = crate::visits::view::views(conn, rows)?;
            let total = if count {
                Some(count_matching(
                    conn,
                    near,
                    |conn| visits::count(conn, &visibility, &filter),
                    |conn| visits::points(conn, &visibility, &filter),
                )?)
            } else {
                None
            };
            Ok((items, next_key, total))
        })
        .await?;
    Ok(web::Json(
        Page::in_order(items, order.name(), next_key.map(time_id_key)).with_total(total),
    ))
}

/// One visit.
#[utoipa::path(
    tag = "visits",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = VisitView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/visits/{id}")]
pub async fn get(
    credentials: Credentials,
    db: web::Data<Db>,
    id: web::Path<String>,
) -> Result<web::Json<VisitView>, ApiError> {
    let id = VisitId::unchecked(id.into_inner());
    // One trip to the blocking pool for the caller's account, the row and what hangs off it.
    let view = db
        .read_snapshot(move |conn| {
            let user = credentials.confirm(conn)?;
            let visibility = policy::visibility(&user);
            let visit = visits::find_visible_with_photos(conn, &id, &visibility)?;
            visit
                .map(VisitView::read_with_author)
                .ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// verified or flagged.
    pub review_status: ReviewStatus,
    /// Required when flagging; at most 1,000 characters.
    pub note: Option<String>,
}

/// A supervisor's verdict on a visit in its area.
#[utoipa::path(
    tag = "visits",
    params(("id" = String, Path)),
    request_body = ReviewInput,
    responses(
        (status = 200, body = VisitView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/visits/{id}/review")]
pub async fn review(
    user: AuthUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    input: ValidJson<ReviewInput>,
) -> Result<web::Json<VisitView>, ApiError> {
    let ReviewInput {
        review_status,
        note,
    } = input.into_inner()?;
    let verdict = Verdict::parse(review_status, note.as_deref())?;
    let id = VisitId::unchecked(id.into_inner());
    let view = db
        .write(move |conn| record_review(conn, &user, &id, &verdict))
        .await?;
    Ok(web::Json(view))
}

/// Attach a photo (raw JPEG, PNG or WebP body, at most 10 MiB, at most 10 a visit), by
/// the visit's author. The same bytes again answer 200 with the photo already stored.
/// Its EXIF position and time, when it has them, may flag the visit
/// (`photo_far_from_record`, `photo_time_mismatch`). For a bad network, see the
/// resumable `/uploads`.
#[utoipa::path(
    tag = "visits",
    params(("id" = String, Path)),
    request_body(content(
        (inline(super::Binary) = "image/jpeg"),
        (inline(super::Binary) = "image/png"),
        (inline(super::Binary) = "image/webp"),
    )),
    responses(
        (status = 201, body = PhotoView),
        (status = 200, body = PhotoView, description = "these bytes were already attached"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "only the visit's author adds photos"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/visits/{id}/photos")]
pub async fn upload_photo(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    store: web::Data<PhotoStore>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let record = PhotoRecord::Visit(VisitId::unchecked(id.into_inner()));
    super::photos::post(user, req, &db, &store, record, payload).await
}

/// A photo's bytes, with their type.
#[utoipa::path(
    tag = "visits",
    params(("id" = String, Path), ("photo_id" = String, Path)),
    responses(
        (status = 200, description = "the photo's bytes", content(
            (inline(super::Binary) = "image/jpeg"),
            (inline(super::Binary) = "image/png"),
            (inline(super::Binary) = "image/webp"),
        )),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/visits/{id}/photos/{photo_id}")]
pub async fn get_photo(
    user: AuthUser,
    db: web::Data<Db>,
    store: web::Data<PhotoStore>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (visit_id, photo_id) = path.into_inner();
    let record = PhotoRecord::Visit(VisitId::unchecked(visit_id));
    super::photos::get(user, &db, &store, record, photo_id).await
}
