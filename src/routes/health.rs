//! Liveness, readiness and metrics: unauthenticated, for load balancers and Prometheus.

use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, Db};
use crate::error::{ApiError, Problem};
use crate::http::{Metrics, Readings};
use crate::webhooks;

#[derive(Serialize, ToSchema)]
#[schema(as = HealthStatus)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is alive.
#[utoipa::path(tag = "operations", responses((status = 200, body = Status)), security(()))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Status> {
    web::Json(Status { status: "ok" })
}

/// The database answers and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Status),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(db: web::Data<Db>) -> Result<web::Json<Status>, ApiError> {
    let db = db.into_inner();
    web::block(move || -> Result<(), ApiError> {
        // A probe must answer quickly even when the database is down.
        let mut conn = db.get_with_timeout(Duration::from_secs(2))?;
        let pending = db::has_pending_migrations(&mut conn).map_err(ApiError::Internal)?;
        if pending {
            return Err(ApiError::unavailable(
                "database migrations are pending",
                "ฐานข้อมูลยังปรับปรุงโครงสร้างไม่เสร็จ",
            ));
        }
        Ok(())
    })
    .await??;
    Ok(web::Json(Status { status: "ready" }))
}

/// Prometheus text: request counts and latency by route template and status; the build
/// (`fieldweek_build_info`); the database pool's connections; the webhook outbox's
/// undelivered entries and the age of the oldest; the process (CPU, memory, open files).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String)),
    security(())
)]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>, db: web::Data<Db>) -> HttpResponse {
    let pool = db.pool_use();
    // A scrape must answer even when the database does not: the outbox is then left out.
    let outbox = tokio::time::timeout(
        OUTBOX_READ_TIMEOUT,
        db.read(|conn| Ok(webhooks::backlog(conn, db::now())?)),
    )
    .await;
    let outbox = match outbox {
        Ok(Ok(backlog)) => Some(backlog),
        Ok(Err(error)) => {
            tracing::warn!(%error, "metrics: the webhook outbox could not be read");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: the webhook outbox was not read in time");
            None
        }
    };
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render(&Readings {
            pool,
            outbox,
            replica: db.replica_use(),
        }))
}

/// Well inside Prometheus's default scrape timeout of ten seconds.
const OUTBOX_READ_TIMEOUT: Duration = Duration::from_secs(2);
