//! Login throttling, kept in the database so every node shares the counts.
//!
//! One username failing 5 times within 15 minutes, or one client address failing 50
//! times, is refused until that window has passed. A success clears the username's
//! count (failures before it no longer count) but never the address's.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::login_attempts;
use crate::db::DbConnection;
use crate::error::ApiError;

pub const WINDOW_MINUTES: i64 = 15;
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 50;

/// A login refused for now, and which count refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub retry_after_secs: u64,
    /// `username` or `address`.
    pub locked: &'static str,
}

impl Lockout {
    /// Logs the lockout for operators (the username only as a hash: people type their
    /// password into the username box) and makes the 429 that answers it.
    pub fn refuse(self, username_key: &str, client_addr: &str) -> ApiError {
        tracing::warn!(
            event = "login_locked_out",
            locked = self.locked,
            username_hash = %username_hash(username_key),
            client_addr,
            retry_after_secs = self.retry_after_secs,
            "a login was refused: too many failures"
        );
        ApiError::TooManyRequests {
            retry_after_secs: self.retry_after_secs,
        }
    }
}

/// The first 16 hex digits of the username key's SHA-256: enough to tie log lines about
/// one username together, without writing the username down.
pub fn username_hash(username_key: &str) -> String {
    let digest = Sha256::digest(username_key.as_bytes());
    hex::encode(&digest[..8])
}

/// `Err` when a login must wait; `Ok` when it may be tried.
pub fn check(
    conn: &mut DbConnection,
    username_key: &str,
    client_addr: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(), Lockout>> {
    let window_start = now - Duration::minutes(WINDOW_MINUTES);

    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username_key.eq(username_key))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::at.gt(window_start))
        .select(diesel::dsl::max(login_attempts::at))
        .first(conn)?;
    let since = last_success.map_or(window_start, |s| s.max(window_start));
    let by_username = failures_oldest_first(
        conn,
        Key::Username(username_key),
        since,
        MAX_FAILURES_PER_USERNAME,
    )?;
    if let Some(retry_after_secs) = locked_for(&by_username, MAX_FAILURES_PER_USERNAME, now) {
        return Ok(Err(Lockout {
            retry_after_secs,
            locked: "username",
        }));
    }
    let by_address = failures_oldest_first(
        conn,
        Key::Address(client_addr),
        window_start,
        MAX_FAILURES_PER_ADDRESS,
    )?;
    if let Some(retry_after_secs) = locked_for(&by_address, MAX_FAILURES_PER_ADDRESS, now) {
        return Ok(Err(Lockout {
            retry_after_secs,
            locked: "address",
        }));
    }
    Ok(Ok(()))
}

enum Key<'a> {
    Username(&'a str),
    Address(&'a str),
}

/// The times of the newest `limit` failures for `key` after `since`, oldest first.
fn failures_oldest_first(
    conn: &mut DbConnection,
    key: Key,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    let query = login_attempts::table
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(since))
        .order(login_attempts::at.desc())
        .limit(limit)
        .select(login_attempts::at)
        .into_boxed();
    let query = match key {
        Key::Username(username) => query.filter(login_attempts::username_key.eq(username)),
        Key::Address(address) => query.filter(login_attempts::client_addr.eq(address)),
    };
    let mut times: Vec<NaiveDateTime> = query.load(conn)?;
    times.reverse();
    Ok(times)
}

/// With `limit` failures in the window, the lock lasts until the oldest of them leaves it.
fn locked_for(failures: &[NaiveDateTime], limit: i64, now: NaiveDateTime) -> Option<u64> {
    if (failures.len() as i64) < limit {
        return None;
    }
    let oldest = failures.first()?;
    let until = *oldest + Duration::minutes(WINDOW_MINUTES);
    Some((until - now).num_seconds().max(1) as u64)
}

pub fn record(
    conn: &mut DbConnection,
    username_key: &str,
    client_addr: &str,
    now: NaiveDateTime,
    succeeded: bool,
) -> QueryResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username_key.eq(username_key),
            login_attempts::client_addr.eq(client_addr),
            login_attempts::at.eq(now),
            login_attempts::succeeded.eq(succeeded),
        ))
        .execute(conn)?;
    // Old attempts no longer decide anything; trimming on a small share of writes keeps
    // the table small without a background job.
    if rand::random::<u8>() < 3 {
        diesel::delete(
            login_attempts::table.filter(login_attempts::at.lt(now - Duration::days(1))),
        )
        .execute(conn)?;
    }
    Ok(())
}
