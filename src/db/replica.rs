//! The read replica (`DATABASE_READ_URL`): the weekly summary, compliance, plans'
//! progress, exports and the console's dashboards read there, so a whole country's
//! reports do not compete with filing on the primary. What a user just wrote and reads
//! back at once never comes from here. When the replica does not answer, those reads go
//! to the primary instead: the log says so once a while, `/metrics` counts each one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{ConnectionManager, DatabaseTarget, Pool};

/// How long a report waits for a replica connection before reading on the primary.
const CHECKOUT_WAIT: Duration = Duration::from_secs(1);
/// After a failure, the replica is left alone this long: a replica that is down is asked
/// once per interval, not by every report.
const REST: Duration = Duration::from_secs(10);

/// What `/metrics` shows of the replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaUse {
    /// Whether the last attempt to read there succeeded.
    pub available: bool,
    /// Reads meant for the replica that went to the primary, since the process started.
    pub fallbacks: u64,
}

pub struct Replica {
    pool: Pool,
    resting_until: Mutex<Option<Instant>>,
    available: AtomicBool,
    fallbacks: AtomicU64,
}

impl Replica {
    /// A pool on the replica, opened without waiting for it: a replica down at start-up
    /// does not stop the node, whose reports then read on the primary.
    pub fn open(target: &DatabaseTarget, pool_size: u32) -> Self {
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(0))
            .connection_timeout(CHECKOUT_WAIT)
            // A report is worth a round trip to learn the server is still there: a
            // replica that went away is then read around, not failed on.
            .test_on_check_out(true)
            .build_unchecked(ConnectionManager {
                target: target.clone(),
            });
        Self {
            pool,
            resting_until: Mutex::new(None),
            available: AtomicBool::new(true),
            fallbacks: AtomicU64::new(0),
        }
    }

    /// A connection to the replica, or `None` (counted) when it is resting or fails now.
    pub fn checkout(&self) -> Option<r2d2::PooledConnection<ConnectionManager>> {
        let mut resting = self.resting_until.lock().unwrap_or_else(|e| e.into_inner());
        if resting.is_some_and(|until| Instant::now() < until) {
            drop(resting);
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *resting = None;
        drop(resting);
        match self.pool.get() {
            Ok(conn) => {
                if !self.available.swap(true, Ordering::Relaxed) {
                    tracing::info!("the read replica answers again: reports read there");
                }
                Some(conn)
            }
            Err(error) => {
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                self.available.store(false, Ordering::Relaxed);
                *self.resting_until.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Instant::now() + REST);
                tracing::warn!(
                    error = %error,
                    "the read replica does not answer: reports read from the primary"
                );
                None
            }
        }
    }

    /// Another connection to the replica, if one comes within `wait`; no fallback is
    /// counted (it is for a side errand of a read already on the replica).
    pub fn checkout_within(
        &self,
        wait: Duration,
    ) -> Option<r2d2::PooledConnection<ConnectionManager>> {
        self.pool.get_timeout(wait).ok()
    }

    pub fn usage(&self) -> ReplicaUse {
        ReplicaUse {
            available: self.available.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
        }
    }
}
