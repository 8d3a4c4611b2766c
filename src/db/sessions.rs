//! Refresh tokens: one family per login, rotated on every use, with reuse detection.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::refresh_tokens;
use super::DbConnection;
use crate::domain::UserId;

/// Stores a refresh token, by its hash only, in `family_id` (a new login passes a new
/// family).
pub fn issue(
    conn: &mut DbConnection,
    user_id: &UserId,
    family_id: &str,
    token_hash: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(uuid::Uuid::new_v4().to_string()),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub enum Rotation {
    /// The token was good: it is now spent, and this is the user it belongs to.
    Rotated { user_id: UserId, family_id: String },
    /// The token was already spent or revoked: its whole family is now revoked.
    Reused { user_id: UserId, family_id: String },
    /// Unknown or expired.
    Invalid,
}

/// Spends a presented refresh token, found by its hash. The conditional update makes two concurrent uses of
/// one token count as reuse: only one of them can flip `spent_at`.
pub fn spend(conn: &mut DbConnection, hash: &str, now: NaiveDateTime) -> QueryResult<Rotation> {
    type Row = (
        String,
        UserId,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(&hash))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::family_id,
            refresh_tokens::expires_at,
            refresh_tokens::spent_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, user_id, family_id, expires_at, spent_at, revoked_at)) = row else {
        return Ok(Rotation::Invalid);
    };
    let reused = |conn: &mut DbConnection| -> QueryResult<Rotation> {
        revoke_family(conn, &family_id, now)?;
        Ok(Rotation::Reused {
            user_id: user_id.clone(),
            family_id: family_id.clone(),
        })
    };
    if spent_at.is_some() {
        return reused(conn);
    }
    // Revoked (logout, password change, ...) but never spent: simply no longer valid.
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let spent = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(&id))
            .filter(refresh_tokens::spent_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::spent_at.eq(now))
    .execute(conn)?;
    if spent == 0 {
        // Another request spent it between our read and this write.
        return reused(conn);
    }
    Ok(Rotation::Rotated { user_id, family_id })
}

/// The family and owner of a token, if it exists.
pub fn family_of(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<(String, UserId)>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select((refresh_tokens::family_id, refresh_tokens::user_id))
        .first(conn)
        .optional()
}

pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    // The console's sessions end with the phone's.
    super::console_sessions::close_all_for_user(conn, user_id)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}
