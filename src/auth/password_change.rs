//! Changing one's own password: the one rule for the API's `PUT /me/password` and the
//! console's password page. The current password is checked under the login throttle,
//! the new one must differ from it, and every session of the account ends.

use super::{throttle, AuthUser, NewPassword, PasswordHasher};
use crate::db::users::{self, UserChanges, UserRow};
use crate::db::{sessions, Db, DbConnection};
use crate::error::{ApiError, FieldCode};

/// Replaces `user`'s password after checking `current_password`, and clears a pending
/// forced change. Field errors name `current_password` and `new_password`.
pub async fn change_own(
    db: &Db,
    hasher: &PasswordHasher,
    user: AuthUser,
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    let same_password = new_password == current_password;
    let new_password = NewPassword::parse(&new_password, &user.username)
        .map_err(|error| ApiError::parse_field("new_password", error))?;

    // Guessing the current password here counts against the same limits as logging in.
    let key = users::username_key(&user.username);
    let address = user.client.addr.clone().unwrap_or_else(|| "unknown".into());
    let (throttled, row) = {
        let (key, address, id) = (key.clone(), address.clone(), user.id.clone());
        db.read(move |conn| {
            let throttled = throttle::check(conn, &key, &address, crate::db::now())?;
            Ok((
                throttled,
                users::find(conn, &id)?.ok_or(ApiError::NotFound)?,
            ))
        })
        .await?
    };
    if let Err(lockout) = throttled {
        return Err(lockout.refuse(&key, &address));
    }
    let matches = current_password.len() <= 256
        && hasher
            .verify(current_password, Some(row.password_hash.clone()))
            .await?;
    if !matches {
        db.write(move |conn| {
            throttle::record(conn, &key, &address, crate::db::now(), false)?;
            Ok(())
        })
        .await?;
        return Err(ApiError::field(
            "current_password",
            FieldCode::NotAllowedValue,
            "is not your current password",
            "รหัสผ่านปัจจุบันไม่ถูกต้อง",
        ));
    }
    if same_password {
        return Err(ApiError::field(
            "new_password",
            FieldCode::NotAllowedValue,
            "must differ from the current password",
            "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน",
        ));
    }
    let hash = hasher.hash(new_password).await?;
    db.write(move |conn| {
        let now = crate::db::now();
        end_sessions_and_update(
            conn,
            &row,
            UserChanges {
                password_hash: Some(hash),
                password_change_required: Some(false),
                ..Default::default()
            },
            now,
        )?;
        user.audit(
            conn,
            "user.password_changed",
            "user",
            Some(user.id.as_str()),
            serde_json::json!({}),
        )?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// Applies `changes` and ends every session of the account: its refresh tokens are
/// revoked and its access tokens stop verifying (the token version moves on).
pub fn end_sessions_and_update(
    conn: &mut DbConnection,
    row: &UserRow,
    mut changes: UserChanges,
    now: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    changes.token_version = Some(row.token_version + 1);
    changes.updated_at = Some(now);
    users::update(conn, &row.id, &changes)?;
    sessions::revoke_all_for_user(conn, &row.id, now)?;
    Ok(())
}
