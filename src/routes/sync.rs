//! The phone's sync feed: one feed of what changed in the caller's sync set.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::db::activity;
use crate::db::Db;
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::grievances::service::GrievanceServices;
use crate::routes::query::parse_whole;
use crate::sync::{self, ChangesPage, SyncFeed, DEFAULT_LIMIT, MAX_LIMIT};

/// Values are taken as text and checked by hand, so a wrong one is a 422 naming it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous answer; none to start from nothing.
    pub cursor: Option<String>,
    /// Changes per answer: 1 to 500, 100 by default.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// What changed in the caller's sync set since its cursor: the visits it filed, the
/// grievances it filed or is assigned, its account. Without a cursor: everything in the
/// set, as upserts, then the changes as they come. A cursor older than the feed's
/// retention, from another account or not issued by the server: 410 `cursor_expired`,
/// and the phone starts again without one.
#[utoipa::path(
    tag = "sync",
    params(ChangesQuery),
    responses(
        (status = 200, body = ChangesPage),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "cursor_expired: sync again without a cursor"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/sync/changes")]
pub async fn changes(
    user: AuthUser,
    db: web::Data<Db>,
    feed: web::Data<SyncFeed>,
    services: web::Data<GrievanceServices>,
    query: web::Query<ChangesQuery>,
) -> Result<web::Json<ChangesPage>, ApiError> {
    let query = query.into_inner();
    let mut errors = Vec::new();
    let limit = parse_whole(&mut errors, "limit", query.limit.as_deref()).unwrap_or(DEFAULT_LIMIT);
    if errors.is_empty() && !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            FieldCode::OutOfRange,
            format!("must be from 1 to {MAX_LIMIT}"),
            format!("ต้องเป็นจำนวนตั้งแต่ 1 ถึง {MAX_LIMIT}"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let after = feed.cursor(&user, query.cursor.as_deref())?;
    let reader = user.clone();
    let (read, synced_lately) = db
        .read_snapshot(move |conn| {
            let now = crate::db::now();
            let synced_lately = activity::sync_recent(conn, reader.id.as_str(), now)?;
            Ok((
                feed.read(conn, &reader, after, limit, &services)?,
                synced_lately,
            ))
        })
        .await?;
    if !read.unmasked.is_empty() || !synced_lately {
        let ids = read.unmasked;
        db.write(move |conn| {
            if !ids.is_empty() {
                sync::audit_unmasked_reads(conn, &user, &ids)?;
            }
            if !synced_lately {
                activity::synced(conn, user.id.as_str(), crate::db::now())?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(web::Json(read.page))
}
