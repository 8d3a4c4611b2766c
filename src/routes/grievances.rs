//! Grievances: filing, reading (with the complainant's data masked or, audited, not),
//! the workflow's transitions with optimistic concurrency, and comments.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AreaScope, AuthUser};
use crate::db::grievances::{
    self as store, CommentRow, Filed, GrievanceFilter, GrievanceRow, NewEvent, Order,
};
use crate::db::{users, Db, DbConnection};
use crate::domain::{AreaCode, Role};
use crate::error::{ApiError, ConflictCode, FieldError, Problem};
use crate::geo::{haversine_m, Geography, LatLon};
use crate::grievances::agency::parse_referral;
use crate::grievances::input::{GrievanceInput, NewGrievance};
use crate::grievances::sla::{Priority, SlaPolicy};
use crate::grievances::view::{has_sensitive_data, CommentView, Extras, GrievanceView};
use crate::grievances::workflow::{self, Action, Actor, Status, TransitionRequest, WorkflowError};
use crate::grievances::Category;
use crate::http::{Page, PageRequest, ValidJson};
use crate::policy::visible_grievances;
use crate::privacy::PiiCipher;
use crate::routes::query::{
    narrow_to_circle, parse_bbox, parse_instant_bound, parse_near, parse_time_id_key, parse_uuid,
    time_id_key,
};
use crate::visits::input::VisitRules;
use crate::webhooks::EventSink;

/// Shared state of the grievance routes.
pub struct GrievanceServices {
    pub cipher: PiiCipher,
    pub sla: SlaPolicy,
    pub events: EventSink,
}

/// The reporter, the assignee and supervisors in scope see the complainant's data in full.
fn may_unmask(user: &AuthUser, row: &GrievanceRow) -> bool {
    row.reporter_id == user.id
        || row.assignee_id.as_deref() == Some(user.id.as_str())
        || (user.role.is_supervisor_or_above() && user.scope.covers_code(&row.area_code))
}

/// Builds full views of rows for `user`: history, comments (internal ones only for
/// staff), duplicates. `unmask` decides per row whether personal data is shown.
pub(crate) fn views(
    conn: &mut DbConnection,
    user: &AuthUser,
    rows: Vec<GrievanceRow>,
    unmask: impl Fn(&GrievanceRow) -> bool,
    services: &GrievanceServices,
) -> Result<Vec<GrievanceView>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let (mut events, mut comments) = store::events_and_comments(conn, &ids, user.role.is_staff())?;
    let mut duplicates = store::possible_duplicates(conn, &rows, &visible_grievances(user))?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|row| {
            let extras = Extras {
                history: events.remove(&row.id).unwrap_or_default(),
                comments: comments.remove(&row.id).unwrap_or_default(),
                possible_duplicates: duplicates.remove(&row.id).unwrap_or_default(),
                unmasked: unmask(&row),
            };
            GrievanceView::new(row, extras, &services.cipher, now)
        })
        .collect())
}

fn with_etag(mut response: HttpResponse, version: i64) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// File a grievance. Sending the same grievance again is safe: 200 with what is stored.
#[utoipa::path(
    tag = "grievances",
    request_body = GrievanceInput,
    responses(
        (status = 201, body = GrievanceView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, body = GrievanceView, description = "the same grievance, already stored"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "id_conflict"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/grievances")]
pub async fn submit(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    rules: web::Data<VisitRules>,
    services: web::Data<GrievanceServices>,
    input: ValidJson<GrievanceInput>,
) -> Result<HttpResponse, ApiError> {
    let grievance = NewGrievance::parse(
        input.into_inner(),
        &user,
        &geography,
        &rules,
        &services.cipher,
        Utc::now(),
    )
    .map_err(ApiError::Validation)?;
    let id = grievance.id.clone();
    let services = services.into_inner();
    let (created, view) = db
        .write(move |conn| {
            grievance.check_visit_reference(conn, &user)?;
            let now = crate::db::now();
            let (created, row) = match store::file(conn, grievance, now, &services.sla)? {
                Filed::Created(row) => {
                    services
                        .events
                        .grievance(conn, "grievance.created", &row, now)?;
                    (true, row)
                }
                Filed::Replayed(row) => (false, row),
                Filed::Conflict => {
                    return Err(ApiError::Conflict {
                        code: ConflictCode::IdConflict,
                        detail: format!("grievance {id} already exists with different content"),
                    })
                }
            };
            // The reporter is reading back what it just sent: not an unmasked read of
            // someone else's data.
            let mut views = views(conn, &user, vec![*row], |_| true, &services)?;
            Ok((created, views.remove(0)))
        })
        .await?;
    let version = view.version;
    let response = if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/grievances/{}", view.id)))
            .json(view)
    } else {
        HttpResponse::Ok().json(view)
    };
    Ok(with_etag(response, version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One status, or several separated by commas.
    pub status: Option<String>,
    pub category: Option<Category>,
    pub priority: Option<Priority>,
    /// An area code: grievances in it (inside one's own area).
    pub area: Option<String>,
    /// `me` or a user id.
    pub assignee: Option<String>,
    pub overdue: Option<bool>,
    /// Filed at or after this instant or day (Bangkok).
    pub from: Option<String>,
    /// Filed before this instant, or up to the end of this day (Bangkok).
    pub to: Option<String>,
    /// Only grievances changed after this instant, least recently changed first: what
    /// the phone app pulls to learn what happened to what its volunteer filed.
    pub updated_since: Option<String>,
    /// minLon,minLat,maxLon,maxLat
    pub bbox: Option<String>,
    /// lat,lon; with radius_m.
    pub near: Option<String>,
    pub radius_m: Option<f64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Grievances, newest first (or by update time with `updated_since`). Volunteers see what
/// they filed; staff see their area. Lists always mask the complainant's phone and
/// national ID: open one grievance to see them (that read is audited).
#[utoipa::path(
    tag = "grievances",
    params(ListQuery),
    responses(
        (status = 200, body = Page<GrievanceView>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/grievances")]
pub async fn list(
    user: AuthUser,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<GrievanceView>>, ApiError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let mut errors = Vec::new();
    let after = parse_time_id_key(&page)?;
    let mut filter = GrievanceFilter {
        category: query.category.map(|c| c.as_str().to_owned()),
        priority: query.priority.map(|p| p.as_str().to_owned()),
        overdue: query.overdue,
        from: parse_instant_bound(&mut errors, "from", query.from.as_deref(), false),
        to: parse_instant_bound(&mut errors, "to", query.to.as_deref(), true),
        updated_since: parse_instant_bound(
            &mut errors,
            "updated_since",
            query.updated_since.as_deref(),
            false,
        ),
        ..GrievanceFilter::default()
    };
    if let Some(raw) = query.status.as_deref() {
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<Status>() {
                Ok(status) => filter.statuses.push(status.as_str().to_owned()),
                Err(_) => errors.push(FieldError::new(
                    "status",
                    format!("{part:?} is not a status"),
                )),
            }
        }
    }
    filter.assignee = match query.assignee.as_deref() {
        None => None,
        Some("me") => Some(user.id.clone()),
        Some(raw) => parse_uuid(&mut errors, "assignee", raw),
    };
    filter.bbox = parse_bbox(&mut errors, query.bbox.as_deref());
    let near = parse_near(&mut errors, query.near.as_deref(), query.radius_m);
    if let Some(circle) = near {
        filter.bbox = Some(narrow_to_circle(filter.bbox, circle));
    }
    let mut visibility = visible_grievances(&user);
    if let Some(raw) = query.area.as_deref() {
        match AreaCode::parse(raw) {
            Ok(area) => match visibility.scope.narrowed_to(&area) {
                Some(scope) => visibility.scope = scope,
                None if errors.is_empty() => {
                    return Ok(web::Json(Page {
                        items: Vec::new(),
                        next_cursor: None,
                    }))
                }
                None => {}
            },
            Err(e) => errors.push(FieldError::new("area", e.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let order = if filter.updated_since.is_some() {
        Order::UpdatedAscending
    } else {
        Order::NewestFirst
    };

    let services = services.into_inner();
    let (items, next_key) = db
        .read(move |conn| {
            let wanted = page.fetch_limit();
            let mut rows = Vec::new();
            let mut cursor = after;
            // With `near`, rows outside the circle are dropped after the bounding-box
            // query, so keep reading until the page is full or the rows run out.
            loop {
                let chunk = store::list(
                    conn,
                    &visibility,
                    &filter,
                    order,
                    cursor.clone(),
                    wanted,
                    crate::db::now(),
                )?;
                let exhausted = (chunk.len() as i64) < wanted;
                cursor = chunk.last().map(|r| store::order_key(r, order));
                rows.extend(chunk.into_iter().filter(|r| {
                    near.is_none_or(|(center, radius)| {
                        haversine_m(
                            center,
                            LatLon {
                                lat: r.lat,
                                lon: r.lon,
                            },
                        ) <= radius
                    })
                }));
                if exhausted || rows.len() as i64 >= wanted {
                    break;
                }
            }
            let more = rows.len() as i64 > page.limit;
            rows.truncate(page.limit as usize);
            let next_key = if more {
                rows.last().map(|r| {
                    let (at, id) = store::order_key(r, order);
                    time_id_key(at, &id)
                })
            } else {
                None
            };
            Ok((views(conn, &user, rows, |_| false, &services)?, next_key))
        })
        .await?;
    Ok(web::Json(Page::new(items, next_key)))
}

async fn load(user: &AuthUser, db: &Db, id: String) -> Result<GrievanceRow, ApiError> {
    let visibility = visible_grievances(user);
    db.read(move |conn| store::find_visible(conn, &id, &visibility)?.ok_or(ApiError::NotFound))
        .await
}

/// One grievance with its history and comments. The complainant's data is shown in full
/// to the reporter, the assignee and supervisors in scope, and each such read is audited.
#[utoipa::path(
    tag = "grievances",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = GrievanceView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/grievances/{id}")]
pub async fn get(
    user: AuthUser,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = load(&user, &db, id.into_inner()).await?;
    let unmasked = may_unmask(&user, &row);
    let services = services.into_inner();
    let render = move |conn: &mut DbConnection| -> Result<GrievanceView, ApiError> {
        if unmasked && has_sensitive_data(&row) {
            user.audit(
                conn,
                "grievance.personal_data_read",
                "grievance",
                Some(&row.id),
                serde_json::json!({ "fields": ["phone", "national_id"] }),
            )?;
        }
        let mut views = views(conn, &user, vec![row], |_| unmasked, &services)?;
        Ok(views.remove(0))
    };
    // An unmasked read writes its audit entry in the same transaction as the read.
    let view = if unmasked {
        db.write(render).await?
    } else {
        db.read(render).await?
    };
    let version = view.version;
    Ok(with_etag(HttpResponse::Ok().json(view), version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    pub action: Action,
    /// Required to reject, refer, resolve and reopen.
    pub note: Option<String>,
    /// With `assign`: an official or supervisor whose area covers the grievance.
    pub assignee_id: Option<String>,
    /// With `refer`: a department code (ดย., สค., ผส., พก., พส.) or another agency's name.
    pub referred_to: Option<String>,
}

/// The version a client expects, from `If-Match`: `None` means "any" (absent or `*`).
fn expected_version(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ApiError::VersionMismatch(format!(
                "If-Match {value:?} names no version of this grievance"
            ))
        })
}

/// Move a grievance through its workflow. With `If-Match: "<version>"`, a stale version
/// answers 412 instead of acting on a state the client has not seen.
#[utoipa::path(
    tag = "grievances",
    params(
        ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the version last read, quoted"),
    ),
    request_body = TransitionInput,
    responses(
        (status = 200, body = GrievanceView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "invalid_transition"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "version_mismatch"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/grievances/{id}/transitions")]
pub async fn transition(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
    id: web::Path<String>,
    input: ValidJson<TransitionInput>,
) -> Result<HttpResponse, ApiError> {
    let expected = expected_version(&req)?;
    let input = input.into_inner();
    let note = match input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(note) => Some(
            crate::domain::bounded_text(note, 1, 4000)
                .map_err(|e| ApiError::text_field("note", e))?,
        ),
        None => None,
    };
    let services = services.into_inner();
    let id = id.into_inner();
    let view = db
        .write(move |conn| {
            store::lock(conn, &id)?;
            let mut row = store::find_visible(conn, &id, &visible_grievances(&user))?
                .ok_or(ApiError::NotFound)?;
            if let Some(expected) = expected {
                if expected != row.version {
                    return Err(ApiError::VersionMismatch(format!(
                        "the grievance is at version {}, not {expected}; reload it",
                        row.version
                    )));
                }
            }
            let from: Status = row.status.parse().map_err(|_| {
                ApiError::internal(anyhow::anyhow!("stored status {:?}", row.status))
            })?;
            let actor = Actor {
                role: user.role,
                is_assignee: row.assignee_id.as_deref() == Some(user.id.as_str()),
            };
            let request = TransitionRequest {
                action: input.action,
                note: note.as_deref(),
                assignee_id: input.assignee_id.as_deref(),
                referred_to: input.referred_to.as_deref(),
            };
            let to = workflow::decide(from, actor, &request).map_err(workflow_error)?;
            let now = crate::db::now();
            match input.action {
                Action::Assign => {
                    let assignee = input.assignee_id.as_deref().unwrap_or_default();
                    row.assignee_id = Some(check_assignee(conn, assignee, &row)?);
                }
                Action::Refer => {
                    let referral = parse_referral(input.referred_to.as_deref().unwrap_or_default())
                        .map_err(|m| ApiError::field("referred_to", m))?;
                    row.referred_to = Some(referral.value);
                }
                Action::Resolve => row.resolved_at = Some(now),
                Action::Reopen => {
                    row.reopen_count += 1;
                    row.resolved_at = None;
                    // A reopened grievance gets a fresh deadline from now.
                    let priority: Priority = row.priority.parse().unwrap_or(Priority::Normal);
                    row.due_at = crate::db::to_micros(
                        services.sla.due_at(now.and_utc(), priority).naive_utc(),
                    );
                    row.overdue_notified = false;
                }
                _ => {}
            }
            row.status = to.as_str().to_owned();
            row.version += 1;
            row.updated_at = now;
            store::update(conn, &row)?;
            let event = NewEvent {
                action: input.action.as_str(),
                from: Some(from),
                to,
                actor_id: &user.id,
                note: note.as_deref(),
            };
            store::append_event(conn, &row, event, now)?;
            let event = if input.action == Action::Assign {
                "grievance.assigned"
            } else {
                "grievance.status_changed"
            };
            services.events.grievance(conn, event, &row, now)?;
            user.audit(
                conn,
                "grievance.transition",
                "grievance",
                Some(&row.id),
                serde_json::json!({
                    "action": input.action, "from": from, "to": to, "version": row.version,
                }),
            )?;
            let unmasked = may_unmask(&user, &row);
            let mut views = views(conn, &user, vec![row], |_| unmasked, &services)?;
            Ok(views.remove(0))
        })
        .await?;
    let version = view.version;
    Ok(with_etag(HttpResponse::Ok().json(view), version))
}

fn workflow_error(error: WorkflowError) -> ApiError {
    match error {
        WorkflowError::Forbidden { .. } => ApiError::Forbidden(error.to_string()),
        WorkflowError::InvalidTransition { .. } => ApiError::Conflict {
            code: ConflictCode::InvalidTransition,
            detail: error.to_string(),
        },
        WorkflowError::MissingField { field, message } => ApiError::field(field, message),
    }
}

/// An active official or supervisor whose area covers the grievance.
fn check_assignee(
    conn: &mut DbConnection,
    raw: &str,
    row: &GrievanceRow,
) -> Result<String, ApiError> {
    let id = uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| ApiError::field("assignee_id", "must be a user id"))?
        .hyphenated()
        .to_string();
    let assignee = users::find(conn, &id)?;
    let eligible = assignee.as_ref().is_some_and(|u| {
        u.active
            && matches!(u.role.parse(), Ok(Role::Official | Role::Supervisor))
            && AreaCode::parse(&u.area_code)
                .is_ok_and(|area| AreaScope::of(&area).covers_code(&row.area_code))
    });
    if eligible {
        Ok(id)
    } else {
        Err(ApiError::field(
            "assignee_id",
            "must be an active official or supervisor whose area covers the grievance",
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// 1 to 4,000 characters.
    pub body: String,
    /// Hidden from volunteers; staff only.
    #[serde(default)]
    pub internal: bool,
}

/// Comment on a grievance one can see.
#[utoipa::path(
    tag = "grievances",
    params(("id" = String, Path)),
    request_body = CommentInput,
    responses(
        (status = 201, body = CommentView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/grievances/{id}/comments")]
pub async fn comment(
    user: AuthUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    input: ValidJson<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    if input.internal && !user.role.is_staff() {
        return Err(ApiError::Forbidden(
            "volunteers cannot write internal comments".into(),
        ));
    }
    let body = crate::domain::bounded_text(&input.body, 1, 4000)
        .map_err(|e| ApiError::text_field("body", e))?;
    let row = load(&user, &db, id.into_inner()).await?;
    let comment = db
        .write(move |conn| {
            let now = crate::db::now();
            let comment = CommentRow {
                id: uuid::Uuid::new_v4().to_string(),
                grievance_id: row.id.clone(),
                author_id: user.id.clone(),
                body,
                internal: input.internal,
                created_at: now,
            };
            store::add_comment(conn, &comment)?;
            store::touch(conn, &row.id, now)?;
            Ok(comment)
        })
        .await?;
    Ok(HttpResponse::Created().json(CommentView::from(comment)))
}
