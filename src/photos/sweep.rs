//! The photo store's share of retention: resumable uploads past their expiry go with
//! their parts (a half photo of a citizen's home is personal data too), and so do the
//! photos an erasure left without a record, wherever the store keeps them.

use std::time::Duration;

use super::PhotoStore;
use crate::db::{privacy, Db};
use crate::error::ApiError;

const BATCH: i64 = 500;

/// Removes the uploads past their expiry, finished or not, with the parts of those
/// unfinished kept in the photo store; returns how many.
pub async fn sweep_expired_uploads(db: &Db, store: &PhotoStore) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let ids = db
            .write(|conn| Ok(crate::db::uploads::expired(conn, crate::db::now(), BATCH)?))
            .await?;
        // The bytes first: a row without bytes is found again and removed next time; bytes
        // without a row would stay for ever.
        for id in &ids {
            store.remove_upload(id).await?;
        }
        let count = ids.len();
        db.write(move |conn| Ok(crate::db::uploads::delete_many(conn, &ids)?))
            .await?;
        total += count;
        if (count as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Removes the stored photos that no visit or grievance refers to any more (an erased
/// grievance's, say) and that are older than `grace`: a photo is put in place just
/// before the row that refers to it, and one taken again for new bytes is written anew
/// unless it is fresh (`PhotoStore::persist`). Returns how many.
pub async fn sweep_unreferenced_photos(
    db: &Db,
    store: &PhotoStore,
    grace: Duration,
) -> Result<usize, ApiError> {
    // The listing first: a photo stored after it is not judged by an older reading of
    // the references.
    let stored = store.stored_photos().await?;
    let referenced = db
        .read(|conn| Ok(privacy::referenced_photos(conn)?))
        .await?;
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    let old_enough =
        |modified: std::time::SystemTime| now.duration_since(modified).unwrap_or_default() >= grace;
    for (sha256, modified) in stored {
        if !old_enough(modified) || referenced.contains(&sha256) {
            continue;
        }
        // Asked again just before it goes: the same bytes sent meanwhile were written
        // anew (`PhotoStore::persist`) for a row about to refer to them.
        if store.stored_at(&sha256).await?.is_some_and(old_enough) {
            store.remove(&sha256).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Runs both sweeps now and then every `interval`, until the process ends.
pub async fn run_forever(db: Db, store: PhotoStore, interval: Duration) {
    loop {
        match sweep_expired_uploads(&db, &store).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "retention: expired uploads removed"),
            Err(error) => tracing::warn!(%error, "upload sweep failed"),
        }
        match sweep_unreferenced_photos(&db, &store, Duration::from_secs(3600)).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "retention: photos nothing refers to removed"),
            Err(error) => tracing::warn!(%error, "photo sweep failed"),
        }
        tokio::time::sleep(interval).await;
    }
}
