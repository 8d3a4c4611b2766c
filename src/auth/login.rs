//! Signing in with a username and password: the one place that throttles attempts,
//! locks out guessing, checks the password off the actix workers, refuses disabled
//! accounts and audits every outcome. The API's login and the console's sign-in differ
//! only in what they open for a successful attempt (a token pair, a browser session).

use chrono::NaiveDateTime;

use super::{throttle, PasswordHasher};
use crate::db::activity;
use crate::db::audit::{self, AuditEntry, ClientInfo};
use crate::db::users::{self, UserRow};
use crate::db::{Db, DbConnection};
use crate::domain::UserId;
use crate::error::ApiError;

/// The longest password ever checked: a longer one is refused before hashing.
const MAX_PASSWORD_BYTES: usize = 256;

/// What an attempt came to, decided in one transaction and answered after it commits (a
/// failure must still be recorded for throttling).
enum Outcome<S> {
    SignedIn(Box<UserRow>, S),
    Disabled(UserId),
    Failed,
}

/// Checks `username` and `password` from `client`. On success, `open` runs in the same
/// transaction as the audit entry and the throttle's record, and its result comes back
/// with the account; `via` names the way in for the audit log (`api`, `console`).
pub async fn sign_in<S, F>(
    db: &Db,
    hasher: &PasswordHasher,
    client: ClientInfo,
    username: String,
    password: String,
    via: &'static str,
    open: F,
) -> Result<(UserRow, S), ApiError>
where
    S: Send + 'static,
    F: FnOnce(&mut DbConnection, &UserRow, NaiveDateTime) -> Result<S, ApiError> + Send + 'static,
{
    let address = client.addr.clone().unwrap_or_else(|| "unknown".into());
    let key = users::username_key(&username);

    let (throttled, user) = {
        let (key, address) = (key.clone(), address.clone());
        db.read(move |conn| {
            let throttled = throttle::check(conn, &key, &address, crate::db::now())?;
            Ok((throttled, users::find_by_username(conn, &key)?))
        })
        .await?
    };
    if let Err(lockout) = throttled {
        return Err(lockout.refuse(&key, &address));
    }

    // Unknown users cost a decoy hash, so timing tells nobody which usernames exist.
    let matches = password.len() <= MAX_PASSWORD_BYTES
        && hasher
            .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
            .await?;

    let outcome = db
        .write(move |conn| {
            let now = crate::db::now();
            let (outcome, reason) = match user {
                Some(user) if matches && user.active => {
                    let opened = open(conn, &user, now)?;
                    (Outcome::SignedIn(Box::new(user), opened), None)
                }
                Some(user) if matches => {
                    let reason = "account_disabled";
                    audit_failure(conn, &client, Some(&user.id), &username, reason, via)?;
                    (Outcome::Disabled(user.id), Some(reason))
                }
                Some(user) => {
                    let reason = "wrong_password";
                    audit_failure(conn, &client, Some(&user.id), &username, reason, via)?;
                    (Outcome::Failed, Some(reason))
                }
                None => {
                    let reason = "unknown_username";
                    audit_failure(conn, &client, None, &username, reason, via)?;
                    (Outcome::Failed, Some(reason))
                }
            };
            throttle::record(conn, &key, &address, now, reason.is_none())?;
            if let Outcome::SignedIn(user, _) = &outcome {
                activity::signed_in(conn, user.id.as_str(), now)?;
                audit::record(
                    conn,
                    &client,
                    AuditEntry {
                        actor_id: Some(user.id.as_str()),
                        action: "auth.login",
                        record_type: "user",
                        record_id: Some(user.id.as_str()),
                        details: serde_json::json!({ "via": via }),
                    },
                )?;
            }
            Ok(outcome)
        })
        .await?;

    match outcome {
        Outcome::SignedIn(user, opened) => Ok((*user, opened)),
        Outcome::Disabled(user) => {
            tracing::warn!(
                event = "login_account_disabled",
                user = %user,
                "the right password for a disabled account"
            );
            Err(ApiError::AccountDisabled)
        }
        Outcome::Failed => Err(ApiError::InvalidCredentials),
    }
}

fn audit_failure(
    conn: &mut DbConnection,
    client: &ClientInfo,
    user_id: Option<&UserId>,
    username: &str,
    reason: &str,
    via: &str,
) -> Result<(), ApiError> {
    let user_id = user_id.map(UserId::as_str);
    audit::record(
        conn,
        client,
        AuditEntry {
            actor_id: user_id,
            action: "auth.login_failed",
            record_type: "user",
            record_id: user_id,
            details: serde_json::json!({
                // Cap what an anonymous caller can write into the permanent log.
                "username": username.chars().take(64).collect::<String>(),
                "reason": reason,
                "via": via,
            }),
        },
    )?;
    Ok(())
}
