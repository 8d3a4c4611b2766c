//! Grievances: filing, reading (with the complainant's data masked or, audited, not),
//! the workflow's transitions with optimistic concurrency, and comments.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::grievances::{self as store, Assignee, GrievanceFilter, Order, SortKey};
use crate::db::{Db, DbConnection};
use crate::domain::{
    Action, Category, CommentId, Due, GeoPoint, GrievanceId, Language, Named, PhotoRecord,
    Priority, Status,
};
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::geo::Geography;
use crate::grievances::input::{GrievanceInput, NewGrievance};
use crate::grievances::service::{self, GrievanceServices, NewComment, TransitionCommand};
use crate::grievances::view::{CommentView, GrievanceView};
use crate::http::{BatchJson, Page, PageRequest, Shape, ValidJson};
use crate::photos::PhotoStore;
use crate::policy;
use crate::routes::query::{
    count_matching, narrow_to_circle, parse_area, parse_bbox, parse_bool, parse_cursor_time,
    parse_instant_bound, parse_name, parse_names, parse_near, parse_page, parse_search,
    parse_user_id, read_page, time_id_key,
};
use crate::visits::input::VisitRules;
use crate::visits::view::PhotoView;

pub(super) fn with_etag(mut response: HttpResponse, version: i64) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// File a grievance. Sending the same grievance again is safe: 200 with what is stored.
#[utoipa::path(
    tag = "grievances",
    request_body(content = GrievanceInput, example = super::examples::grievance),
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
    let now = Utc::now();
    let grievance = input.parse_with(|input| {
        NewGrievance::parse(input, &user, &geography, &rules, &services.cipher, now)
    })?;
    let services = services.into_inner();
    let service::Filing { created, view } = db
        .write(move |conn| service::file(conn, &user, grievance, &services))
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

/// At most this many grievances in one batch.
pub const MAX_BATCH: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GrievanceBatchInput)]
pub struct BatchInput {
    /// At most 100 grievances.
    #[schema(value_type = Vec<GrievanceInput>)]
    pub grievances: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = GrievanceBatchItemResult)]
pub struct BatchItemResult {
    /// The item's id, when it had a readable one.
    pub id: Option<String>,
    /// 201 filed, 200 already stored, 409 id conflict, 422 invalid.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grievance: Option<GrievanceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = GrievanceBatchResult)]
pub struct BatchResult {
    /// One outcome per item, in order.
    pub results: Vec<BatchItemResult>,
}

/// File up to 100 grievances from offline sync. Each item gets its own outcome, exactly
/// what filing it alone would answer; the good ones are committed together and a bad one
/// never sinks the others. Resending the whole batch is safe.
#[utoipa::path(
    tag = "grievances",
    request_body(content = BatchInput, example = super::examples::grievance_batch),
    responses(
        (status = 200, body = BatchResult),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "not a batch, or more than 100 items (`too_many`)"),
    ),
    security(("bearer" = []))
)]
#[post("/grievances/batch")]
pub async fn submit_batch(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    rules: web::Data<VisitRules>,
    services: web::Data<GrievanceServices>,
    language: Language,
    input: BatchJson<BatchInput>,
) -> Result<web::Json<BatchResult>, ApiError> {
    let items = input.into_inner().grievances;
    if items.len() > MAX_BATCH {
        return Err(ApiError::field(
            "grievances",
            FieldCode::TooMany,
            format!("must hold at most {MAX_BATCH} grievances"),
            format!("ส่งได้ครั้งละไม่เกิน {MAX_BATCH} รายการ"),
        ));
    }
    let now = Utc::now();
    let mut results: Vec<Option<BatchItemResult>> = Vec::with_capacity(items.len());
    let mut valid: Vec<(usize, NewGrievance)> = Vec::new();
    let shape = Shape::of::<GrievanceInput>();
    for (index, raw) in items.into_iter().enumerate() {
        let id = raw.get("id").and_then(|id| id.as_str()).map(str::to_owned);
        let parsed = shape.read::<GrievanceInput>(raw).parse_with(|input| {
            NewGrievance::parse(input, &user, &geography, &rules, &services.cipher, now)
        });
        match parsed {
            Ok(grievance) => {
                valid.push((index, grievance));
                results.push(None);
            }
            Err(errors) => results.push(Some(BatchItemResult {
                id,
                status: 422,
                grievance: None,
                problem: Some(ApiError::Validation(errors).problem(language)),
            })),
        }
    }

    let (indexes, ids): (Vec<usize>, Vec<String>) = valid
        .iter()
        .map(|(index, grievance)| (*index, grievance.id.to_string()))
        .unzip();
    let grievances: Vec<NewGrievance> = valid.into_iter().map(|(_, g)| g).collect();
    let services = services.into_inner();
    let filed = db
        .write(move |conn| service::file_batch(conn, &user, grievances, &services))
        .await?;
    for ((index, id), outcome) in indexes.into_iter().zip(ids).zip(filed) {
        results[index] = Some(match outcome {
            Ok(service::Filing { created, view }) => BatchItemResult {
                id: Some(id),
                status: if created { 201 } else { 200 },
                grievance: Some(view),
                problem: None,
            },
            Err(error) => BatchItemResult {
                id: Some(id),
                status: actix_web::ResponseError::status_code(&error).as_u16(),
                grievance: None,
                problem: Some(error.problem(language)),
            },
        });
    }
    Ok(web::Json(BatchResult {
        results: results.into_iter().flatten().collect(),
    }))
}

/// How `GET /grievances` may be sorted (`sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum GrievanceSort {
    /// Newest filed first (the default).
    #[serde(rename = "-created_at")]
    NewestFirst,
    /// Oldest filed first.
    #[serde(rename = "created_at")]
    OldestFirst,
    /// Earliest deadline first.
    #[serde(rename = "due_at")]
    DueFirst,
    /// Latest deadline first.
    #[serde(rename = "-due_at")]
    DueLast,
    /// Urgent first, then high, normal and low; earliest deadline first within each.
    #[serde(rename = "priority")]
    Priority,
}

impl GrievanceSort {
    const ALL: [Self; 5] = [
        Self::NewestFirst,
        Self::OldestFirst,
        Self::DueFirst,
        Self::DueLast,
        Self::Priority,
    ];

    fn order(self) -> Order {
        match self {
            Self::NewestFirst => Order::NewestFirst,
            Self::OldestFirst => Order::OldestFirst,
            Self::DueFirst => Order::DueFirst,
            Self::DueLast => Order::DueLast,
            Self::Priority => Order::PriorityFirst,
        }
    }
}

impl Named for GrievanceSort {
    const WHAT: &'static str = "sort";
    const VALUES: &'static [Self] = &Self::ALL;

    fn as_str(self) -> &'static str {
        self.order().name()
    }
}

/// Every value is taken as text and checked by hand (`routes::query`), so a wrong one is
/// a 422 naming its parameter. Enumerated filters take one value or several separated by
/// commas, and match any of them.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<Vec<Status>>, style = Form, explode = false)]
    pub status: Option<String>,
    #[param(value_type = Option<Vec<Category>>, style = Form, explode = false)]
    pub category: Option<String>,
    #[param(value_type = Option<Vec<Priority>>, style = Form, explode = false)]
    pub priority: Option<String>,
    /// An area code inside one's own (one's own included); a wider or another area is
    /// refused with 403.
    pub area: Option<String>,
    /// `me`, a user id, or `none` for grievances nobody is assigned.
    pub assignee: Option<String>,
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// Open grievances past their deadline (`overdue`), due within 24 hours (`due_soon`),
    /// or further off (`on_time`).
    #[param(value_type = Option<Due>, inline)]
    pub due: Option<String>,
    /// `true`: only grievances still waiting for photos (`photos_received` below
    /// `photos_expected`); `false`: only those with all of them.
    #[param(value_type = Option<bool>)]
    pub photos_missing: Option<String>,
    /// Filed at or after this instant or day (Bangkok).
    pub from: Option<String>,
    /// Filed before this instant, or up to the end of this day (Bangkok).
    pub to: Option<String>,
    /// Only grievances changed after this instant, least recently changed first (unless
    /// `sort` says otherwise): what the phone app pulls to learn what happened to what
    /// its volunteer filed.
    pub updated_since: Option<String>,
    /// Text in the title or the description, in any case: 1 to 100 characters.
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    #[param(value_type = Option<GrievanceSort>, inline)]
    pub sort: Option<String>,
    /// minLon,minLat,maxLon,maxLat
    pub bbox: Option<String>,
    /// lat,lon; with radius_m.
    pub near: Option<String>,
    #[param(value_type = Option<f64>)]
    pub radius_m: Option<String>,
    /// `true` adds `total`, the number of grievances matching the filters, to every page.
    #[param(value_type = Option<bool>)]
    pub count: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// From the page before, read with the same `sort` (another order's cursor is refused).
    pub cursor: Option<String>,
}

/// Grievances, newest first (or by update time with `updated_since`, or as `sort` says).
/// Volunteers see what they filed; staff see their area. Lists always mask the
/// complainant's phone and national ID: open one grievance to see them (that read is
/// audited).
#[utoipa::path(
    tag = "grievances",
    params(ListQuery),
    responses(
        (status = 200, body = Page<GrievanceView>),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "`area` is wider than one's own, or outside it"),
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
    let request = ListRequest::parse(&user, query.into_inner())?;
    let services = services.into_inner();
    let listed = db
        .read(move |conn| request.read(conn, &user, &services))
        .await?;
    Ok(web::Json(listed.page))
}

/// A list of grievances asked for in `GET /grievances`'s terms, checked: the API's list
/// and the console's queue read the same filters the same way.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub filter: GrievanceFilter,
    pub visibility: crate::domain::Visibility,
    pub order: Order,
    near: Option<(GeoPoint, f64)>,
    count: bool,
    page: PageRequest,
    after: Option<SortKey>,
}

/// A page of a list, and the number of matches when counted.
pub struct Listed {
    pub page: Page<GrievanceView>,
    pub total: Option<i64>,
}

impl ListRequest {
    /// Checks every parameter, reporting all broken ones at once, and the area against
    /// the caller's own (403 when wider or elsewhere).
    pub fn parse(user: &AuthUser, query: ListQuery) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut filter = GrievanceFilter {
            statuses: parse_names(&mut errors, "status", query.status.as_deref()),
            categories: parse_names(&mut errors, "category", query.category.as_deref()),
            priorities: parse_names(&mut errors, "priority", query.priority.as_deref()),
            overdue: parse_bool(&mut errors, "overdue", query.overdue.as_deref()),
            photos_missing: parse_bool(
                &mut errors,
                "photos_missing",
                query.photos_missing.as_deref(),
            ),
            from: parse_instant_bound(&mut errors, "from", query.from.as_deref(), false),
            to: parse_instant_bound(&mut errors, "to", query.to.as_deref(), true),
            updated_since: parse_instant_bound(
                &mut errors,
                "updated_since",
                query.updated_since.as_deref(),
                false,
            ),
            text: parse_search(&mut errors, "q", query.q.as_deref()),
            bbox: parse_bbox(&mut errors, query.bbox.as_deref()),
            due: parse_name(&mut errors, "due", query.due.as_deref()),
            ..GrievanceFilter::default()
        };
        filter.assignee = match query.assignee.as_deref().map(str::trim) {
            None => None,
            Some("me") => Some(Assignee::User(user.id.clone())),
            Some("none") => Some(Assignee::Nobody),
            Some(raw) => parse_user_id(&mut errors, "assignee", raw).map(Assignee::User),
        };
        let near = parse_near(
            &mut errors,
            query.near.as_deref(),
            query.radius_m.as_deref(),
        );
        if let Some(circle) = near {
            filter.bbox = Some(narrow_to_circle(filter.bbox, circle));
        }
        let count = parse_bool(&mut errors, "count", query.count.as_deref()).unwrap_or(false);
        let area = parse_area(&mut errors, query.area.as_deref());
        let sort = parse_name::<GrievanceSort>(&mut errors, "sort", query.sort.as_deref());
        let order = match (sort, filter.updated_since) {
            (Some(sort), _) => sort.order(),
            (None, Some(_)) => Order::UpdatedAscending,
            (None, None) => Order::NewestFirst,
        };
        let key_parts = if order == Order::PriorityFirst { 3 } else { 2 };
        let page = parse_page(
            &mut errors,
            query.limit.as_deref(),
            query.cursor.as_deref(),
            order.name(),
            key_parts,
        );
        let (Some(page), true) = (page, errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        let after = parse_sort_key(&page)?;
        let visibility = policy::visibility_within(user, area.as_ref())?;
        Ok(Self {
            filter,
            visibility,
            order,
            near,
            count,
            page,
            after,
        })
    }

    /// Reads the page (masked, as lists always are: opening one grievance is the audited
    /// way to see more), and the total when asked for.
    pub fn read(
        &self,
        conn: &mut DbConnection,
        user: &AuthUser,
        services: &GrievanceServices,
    ) -> Result<Listed, ApiError> {
        let now = crate::db::now();
        let (filter, visibility, order) = (&self.filter, &self.visibility, self.order);
        let (rows, next_key) = read_page(
            &self.page,
            self.after.clone(),
            self.near,
            |row| store::order_key(row, order),
            |row| GeoPoint::new(row.lat, row.lon),
            |after, count| {
                Ok(store::list(
                    conn, visibility, filter, order, after, count, now,
                )?)
            },
        )?;
        let total = if self.count {
            Some(count_matching(
                conn,
                self.near,
                |conn| store::count(conn, visibility, filter, now),
                |conn| store::points(conn, visibility, filter, now),
            )?)
        } else {
            None
        };
        let items = service::views(conn, user, rows, |_| false, services)?;
        let next_key = next_key.map(|key| {
            let time_and_id = time_id_key((key.at, key.id));
            key.priority
                .map(|p| p.as_str().to_owned())
                .into_iter()
                .chain(time_and_id)
                .collect()
        });
        Ok(Listed {
            page: Page::in_order(items, order.name(), next_key).with_total(total),
            total,
        })
    }
}

/// Reads back the key of a cursor given out by [`list`]: the priority first, under the
/// priority order.
fn parse_sort_key(page: &PageRequest) -> Result<Option<SortKey>, ApiError> {
    let Some(parts) = page.after.as_deref() else {
        return Ok(None);
    };
    let bad = || ApiError::Validation(vec![crate::http::page::bad_cursor()]);
    let (priority, at, id) = match parts {
        [at, id] => (None, at, id),
        [priority, at, id] => (
            Some(priority.parse::<Priority>().map_err(|_| bad())?),
            at,
            id,
        ),
        _ => return Err(bad()),
    };
    Ok(Some(SortKey {
        priority,
        at: parse_cursor_time(at)?,
        id: id.clone(),
    }))
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
    let services = services.into_inner();
    let id = GrievanceId::unchecked(id.into_inner());
    let lookup = user.clone();
    let row = db
        .read(move |conn| service::find(conn, &lookup, &id))
        .await?;
    // A read that unmasks writes its audit entry in the same transaction as the read.
    let view = if service::read_unmasks(&user, &row) {
        db.write(move |conn| service::read(conn, &user, row, &services))
            .await?
    } else {
        db.read(move |conn| service::read(conn, &user, row, &services))
            .await?
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
    /// With `mark_duplicate`: the grievance this one duplicates; one the caller can see
    /// that is not a duplicate itself.
    pub duplicate_of: Option<String>,
    /// With `set_priority` (supervisor; any open status): the new priority. The deadline
    /// keeps its starting point and takes the new priority's allowance.
    pub priority: Option<Priority>,
}

/// Move a grievance through its workflow. With `If-Match: "<version>"`, a stale version
/// answers 412 instead of acting on a state the client has not seen. `mark_duplicate`
/// (supervisor; from submitted, accepted or assigned) closes it as a duplicate of
/// `duplicate_of`, refused with 422 on that field when it names this grievance
/// (`self_reference`), none the caller can see (`not_found_reference`), or a duplicate or
/// while this one has duplicates of its own (`duplicate_chain`); `reopen` brings a
/// duplicate back to accepted.
#[utoipa::path(
    tag = "grievances",
    params(
        ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the version last read, quoted"),
    ),
    request_body(content = TransitionInput, examples(
        ("accept" = (summary = "a supervisor takes it on", value = json!(super::examples::accept()))),
        ("assign" = (summary = "to an official in the area", value = json!(super::examples::assign()))),
        ("refer" = (summary = "to a department (note required)", value = json!(super::examples::refer()))),
        ("mark_duplicate" = (summary = "the same case as another grievance", value = json!(super::examples::mark_duplicate()))),
    )),
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
    let expected_version = super::query::if_match_version(&req)?;
    let (input, note) = input.parse_with(|input| {
        let note = service::transition_note(input.note.as_deref()).map_err(|e| vec![e])?;
        Ok((input, note))
    })?;
    let command = TransitionCommand {
        grievance_id: GrievanceId::unchecked(id.into_inner()),
        expected_version,
        action: input.action,
        note,
        assignee_id: input.assignee_id,
        referred_to: input.referred_to,
        duplicate_of: input.duplicate_of,
        priority: input.priority.map(|p| p.as_str().to_owned()),
    };
    let services = services.into_inner();
    let view = db
        .write(move |conn| service::transition(conn, &user, &command, &services))
        .await?;
    let version = view.version;
    Ok(with_etag(HttpResponse::Ok().json(view), version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// The phone's own UUID for the comment; resending the same comment is safe.
    pub id: Option<String>,
    /// 1 to 4,000 characters.
    pub body: String,
    /// Hidden from volunteers; staff only.
    #[serde(default)]
    pub internal: bool,
}

/// Comment on a grievance one can see. With a client `id`, sending the same comment again
/// is safe: 200 with what is stored; other content under that id is 409 `id_conflict`.
#[utoipa::path(
    tag = "grievances",
    params(("id" = String, Path)),
    request_body(content = CommentInput, example = super::examples::comment),
    responses(
        (status = 201, body = CommentView),
        (status = 200, body = CommentView, description = "the same comment, already stored"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "id_conflict"),
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
    let comment = input.parse_with(|input| {
        let id = match input.id.as_deref().map(CommentId::parse) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(e)) => return Err(vec![FieldError::parse("id", e)]),
        };
        Ok(NewComment {
            id,
            body: input.body,
            internal: input.internal,
        })
    })?;
    let id = GrievanceId::unchecked(id.into_inner());
    let service::Commented { created, view } = db
        .write(move |conn| service::comment(conn, &user, &id, comment))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Attach a photo to a grievance (raw JPEG, PNG or WebP body, at most 10 MiB, at most 10
/// a grievance), by its reporter or assignee: the rules of visit photos. The same bytes
/// again answer 200 with the photo already stored. For a bad network, see `/uploads`.
#[utoipa::path(
    tag = "grievances",
    params(("id" = String, Path)),
    request_body(content(
        (inline(super::Binary) = "image/jpeg"),
        (inline(super::Binary) = "image/png"),
        (inline(super::Binary) = "image/webp"),
    )),
    responses(
        (status = 201, body = PhotoView),
        (status = 200, body = PhotoView, description = "these bytes were already attached"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "only the reporter or the assignee adds photos"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/grievances/{id}/photos")]
pub async fn upload_photo(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    store: web::Data<PhotoStore>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let record = PhotoRecord::Grievance(GrievanceId::unchecked(id.into_inner()));
    super::photos::post(user, req, &db, &store, record, payload).await
}

/// A grievance photo's bytes, with their type.
#[utoipa::path(
    tag = "grievances",
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
#[get("/grievances/{id}/photos/{photo_id}")]
pub async fn get_photo(
    user: AuthUser,
    db: web::Data<Db>,
    store: web::Data<PhotoStore>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (grievance_id, photo_id) = path.into_inner();
    let record = PhotoRecord::Grievance(GrievanceId::unchecked(grievance_id));
    super::photos::get(user, &db, &store, record, photo_id).await
}
