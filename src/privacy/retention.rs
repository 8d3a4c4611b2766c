//! The retention job: personal data of grievances closed or rejected longer ago than the
//! configured period is erased, in batches, each batch audited; webhook deliveries are
//! pruned some days after they were delivered, and the sync feed's removals once no
//! usable cursor can need them; resumable uploads past their expiry are removed with their
//! bytes (a half photo of a citizen's home is personal data too), and so are the photos an
//! erasure left without a record.

use std::path::{Path, PathBuf};
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

/// Removes the uploads past their expiry, finished or not, and the bytes of those
/// unfinished (`uploads_dir`, where `db::uploads::file_of` keeps them); returns how many.
pub fn sweep_expired_uploads(db: &Db, uploads_dir: &Path) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let ids = db.write_blocking(|conn| {
            Ok(crate::db::uploads::expired(conn, crate::db::now(), BATCH)?)
        })?;
        // The bytes first: a row without bytes is found again and removed next time; bytes
        // without a row would stay for ever.
        for id in &ids {
            match std::fs::remove_file(crate::db::uploads::file_of(uploads_dir, id)) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(ApiError::internal(error));
                }
                _ => {}
            }
        }
        let count = ids.len();
        db.write_blocking(move |conn| Ok(crate::db::uploads::delete_many(conn, &ids)?))?;
        total += count;
        if (count as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Removes the photo files under `photos_root` (`<2 hex>/<sha256>`) that no visit or
/// grievance refers to any more (an erased grievance's, say) and that are older than
/// `grace`: a file is put in place just before the row that refers to it, and a file
/// taken again for new bytes is touched (`PhotoStore::persist`). Returns how many.
pub fn sweep_unreferenced_photos(
    db: &Db,
    photos_root: &Path,
    grace: Duration,
) -> Result<usize, ApiError> {
    let referenced = db.with_connection(|conn| Ok(privacy::referenced_photos(conn)?))?;
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for folder in std::fs::read_dir(photos_root).map_err(ApiError::internal)? {
        let folder = folder.map_err(ApiError::internal)?;
        let name = folder.file_name();
        // Only the hash folders: not `tmp` or `uploads`.
        let is_hash_folder = name.len() == 2
            && name
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()));
        if !is_hash_folder {
            continue;
        }
        for file in std::fs::read_dir(folder.path()).map_err(ApiError::internal)? {
            let file = file.map_err(ApiError::internal)?;
            let Some(sha256) = file.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if referenced.contains(&sha256) {
                continue;
            }
            let old_enough = file
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| now.duration_since(modified).unwrap_or_default() >= grace);
            if old_enough {
                match std::fs::remove_file(file.path()) {
                    Ok(()) => removed += 1,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(ApiError::internal(error)),
                }
            }
        }
    }
    Ok(removed)
}

/// Removes console sessions unused for a day: longer than any session may sit idle
/// (`FIELDWEEK_CONSOLE_IDLE_MINUTES` is at most 1,440), so none of them is still open.
pub fn sweep_idle_console_sessions(db: &Db) -> Result<usize, ApiError> {
    let idle_before = crate::db::now() - chrono::Duration::days(1);
    db.write_blocking(move |conn| Ok(crate::db::console_sessions::sweep(conn, idle_before)?))
}

/// Runs the job now and then every `interval`, until the process ends.
pub async fn run_forever(
    db: Db,
    retention: Retention,
    photos_root: PathBuf,
    uploads_dir: PathBuf,
    interval: Duration,
) {
    loop {
        let job_db = db.clone();
        match actix_web::web::block(move || run_once(&job_db, retention)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::info!(count, "retention: personal data erased"),
            Ok(Err(error)) => tracing::warn!(%error, "retention job failed"),
            Err(error) => tracing::warn!(%error, "retention job panicked"),
        }
        let (job_db, dir) = (db.clone(), uploads_dir.clone());
        match actix_web::web::block(move || sweep_expired_uploads(&job_db, &dir)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::info!(count, "retention: expired uploads removed"),
            Ok(Err(error)) => tracing::warn!(%error, "upload sweep failed"),
            Err(error) => tracing::warn!(%error, "upload sweep panicked"),
        }
        let job_db = db.clone();
        match actix_web::web::block(move || sweep_idle_console_sessions(&job_db)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::info!(count, "retention: idle console sessions removed"),
            Ok(Err(error)) => tracing::warn!(%error, "console session sweep failed"),
            Err(error) => tracing::warn!(%error, "console session sweep panicked"),
        }
        let (job_db, root) = (db.clone(), photos_root.clone());
        let grace = Duration::from_secs(3600);
        match actix_web::web::block(move || sweep_unreferenced_photos(&job_db, &root, grace)).await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::info!(count, "retention: photos nothing refers to removed"),
            Ok(Err(error)) => tracing::warn!(%error, "photo sweep failed"),
            Err(error) => tracing::warn!(%error, "photo sweep panicked"),
        }
        tokio::time::sleep(interval).await;
    }
}
