//! The `uploads` table: resumable (tus) uploads; and `upload_parts`: which object of
//! the photo store holds which of an upload's bytes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{upload_parts, uploads};
use super::DbConnection;
use crate::domain::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads)]
pub struct UploadRow {
    pub id: String,
    pub user_id: UserId,
    /// `visit` or `grievance` (`PhotoRecord::kind`).
    pub record_type: String,
    pub record_id: String,
    pub content_type: String,
    pub upload_length: i64,
    /// How many bytes are acknowledged.
    pub upload_offset: i64,
    /// The `Upload-Metadata` header as the client sent it, for `HEAD`.
    pub metadata: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The photo the finished upload became.
    pub photo_id: Option<String>,
    /// Whether that photo was new (201) or the record held these bytes already (200).
    pub photo_created: Option<bool>,
}

pub fn insert(conn: &mut DbConnection, row: &UploadRow) -> QueryResult<()> {
    diesel::insert_into(uploads::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The caller's own upload: another account's id reads as none.
pub fn find_own(
    conn: &mut DbConnection,
    id: &str,
    user: &UserId,
) -> QueryResult<Option<UploadRow>> {
    uploads::table
        .filter(uploads::id.eq(id))
        .filter(uploads::user_id.eq(user))
        .select(UploadRow::as_select())
        .first(conn)
        .optional()
}

/// Moves the acknowledged offset from `from` to `to` and records the object holding
/// those bytes, together; false (nothing recorded) when another request moved it first.
pub fn advance(
    conn: &mut DbConnection,
    id: &str,
    from: i64,
    to: i64,
    object_key: &str,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let changed = diesel::update(
            uploads::table
                .filter(uploads::id.eq(id))
                .filter(uploads::upload_offset.eq(from)),
        )
        .set(uploads::upload_offset.eq(to))
        .execute(conn)?;
        if changed != 1 {
            return Ok(false);
        }
        diesel::insert_into(upload_parts::table)
            .values((
                upload_parts::upload_id.eq(id),
                upload_parts::start_offset.eq(from),
                upload_parts::end_offset.eq(to),
                upload_parts::object_key.eq(object_key),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

/// One part of a resumable upload as recorded: bytes `start..end` of the upload, kept
/// under `key` in the photo store.
#[derive(Debug, Clone)]
pub struct PartRef {
    pub key: String,
    pub start: i64,
    pub end: i64,
}

/// The recorded parts of upload `id`, in order.
pub fn parts_of(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<PartRef>> {
    let rows: Vec<(String, i64, i64)> = upload_parts::table
        .filter(upload_parts::upload_id.eq(id))
        .order(upload_parts::start_offset.asc())
        .select((
            upload_parts::object_key,
            upload_parts::start_offset,
            upload_parts::end_offset,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(key, start, end)| PartRef { key, start, end })
        .collect())
}

/// Records the photo a finished upload became.
pub fn finish(conn: &mut DbConnection, id: &str, photo_id: &str, created: bool) -> QueryResult<()> {
    diesel::update(uploads::table.filter(uploads::id.eq(id)))
        .set((
            uploads::photo_id.eq(photo_id),
            uploads::photo_created.eq(created),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets an upload and its parts' records (the objects go first: see the sweep).
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(upload_parts::table.filter(upload_parts::upload_id.eq(id))).execute(conn)?;
    diesel::delete(uploads::table.filter(uploads::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Up to `limit` uploads past their expiry, oldest first.
pub fn expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    uploads::table
        .filter(uploads::expires_at.le(now))
        .order(uploads::expires_at.asc())
        .limit(limit)
        .select(uploads::id)
        .load(conn)
}

pub fn delete_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<usize> {
    diesel::delete(upload_parts::table.filter(upload_parts::upload_id.eq_any(ids)))
        .execute(conn)?;
    diesel::delete(uploads::table.filter(uploads::id.eq_any(ids))).execute(conn)
}
