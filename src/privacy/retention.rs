//! The retention job: personal data of grievances closed or rejected longer ago than the
//! configured period is erased, in batches, each batch audited; webhook deliveries are
//! pruned some days after they were delivered, and the sync feed's removals once no
//! usable cursor can need them. (The photo store's side, expired uploads and the photos
//! an erasure left without a record, is `photos::sweep`'s.)

use std::time::Duration;

use crate::db::audit::{self, AuditEntry, ClientInfo};
use crate::db::{privacy, Db};
use crate::error::ApiError;

const BATCH: i64 = 500;

/// How long each kind of personal data is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Days after closure (or rejection) before a grievance's personal data is erased.
    pub grievance_days: i64,
    /// Days after delivery before a webhook delivery is removed.
    pub delivered_webhook_days: i64,
    /// Days the sync feed's removals are kept (`SyncFeed::removal_days`).
    pub sync_removal_days: i64,
}

/// Erases what is past retention; returns how many grievances were anonymised.
pub fn run_once(db: &Db, retention: Retention) -> Result<usize, ApiError> {
    let pruned = db.write_blocking(move |conn| {
        let cutoff = crate::db::now() - chrono::Duration::days(retention.delivered_webhook_days);
        Ok(privacy::prune_delivered_webhooks(conn, cutoff)?)
    })?;
    if pruned > 0 {
        tracing::info!(count = pruned, "retention: delivered webhooks pruned");
    }
    let pruned = db.write_blocking(move |conn| {
        let cutoff = crate::db::now() - chrono::Duration::days(retention.sync_removal_days);
        Ok(crate::db::sync::prune_removals(conn, cutoff)?)
    })?;
    if pruned > 0 {
        tracing::info!(count = pruned, "retention: sync removals pruned");
    }
    let retention_days = retention.grievance_days;
    let mut total = 0;
    loop {
        let done = db.write_blocking(move |conn| {
            let now = crate::db::now();
            let cutoff = now - chrono::Duration::days(retention_days);
            let ids = privacy::retention_due(conn, cutoff, BATCH)?;
            let count = privacy::anonymise(conn, &ids, now)?;
            if count > 0 {
                audit::record(
                    conn,
                    &ClientInfo::default(),
                    AuditEntry {
                        actor_id: None,
                        action: "privacy.retention",
                        record_type: "grievance",
                        record_id: None,
                        details: serde_json::json!({
                            "retention_days": retention_days,
                            "anonymised": ids,
                        }),
                    },
                )?;
            }
            Ok(count)
        })?;
        total += done;
        if (done as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Removes console sessions unused for a day: longer than any session may sit idle
/// (`FIELDWEEK_CONSOLE_IDLE_MINUTES` is at most 1,440), so none of them is still open.
pub fn sweep_idle_console_sessions(db: &Db) -> Result<usize, ApiError> {
    let idle_before = crate::db::now() - chrono::Duration::days(1);
    db.write_blocking(move |conn| Ok(crate::db::console_sessions::sweep(conn, idle_before)?))
}

/// Runs the job now and then every `interval`, until the process ends.
pub async fn run_forever(db: Db, retention: Retention, interval: Duration) {
    loop {
        let job_db = db.clone();
        match actix_web::web::block(move || run_once(&job_db, retention)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::info!(count, "retention: personal data erased"),
            Ok(Err(error)) => tracing::warn!(%error, "retention job failed"),
            Err(error) => tracing::warn!(%error, "retention job panicked"),
        }
        let job_db = db.clone();
        match actix_web::web::block(move || sweep_idle_console_sessions(&job_db)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::info!(count, "retention: idle console sessions removed"),
            Ok(Err(error)) => tracing::warn!(%error, "console session sweep failed"),
            Err(error) => tracing::warn!(%error, "console session sweep panicked"),
        }
        tokio::time::sleep(interval).await;
    }
}
