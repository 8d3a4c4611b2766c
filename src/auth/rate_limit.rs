//! A per-user limit on write requests: a token bucket per user, in this process's memory.
//! (Login throttling, which must hold across nodes, lives in the database instead; this
//! one protects each node from one account flooding it with writes.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct WriteRateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl WriteRateLimiter {
    /// `per_minute` writes a minute, in bursts of up to as many.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one write from the user's bucket; `Err(seconds)` when it is empty.
    pub fn check(&self, user_id: &str) -> Result<(), u64> {
        self.check_at(user_id, Instant::now())
    }

    fn check_at(&self, user_id: &str, now: Instant) -> Result<(), u64> {
        let refill_per_second = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Full buckets carry no information: forget them to bound memory.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * refill_per_second
                    < self.per_minute
            });
        }
        let bucket = buckets.entry(user_id.to_owned()).or_insert(Bucket {
            tokens: self.per_minute,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * refill_per_second).min(self.per_minute);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / refill_per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_a_refill() {
        let limiter = WriteRateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("u", start).is_ok());
        }
        let wait = limiter.check_at("u", start).unwrap_err();
        assert_eq!(wait, 20);
        // Another user has a bucket of its own.
        assert!(limiter.check_at("v", start).is_ok());
        assert!(limiter
            .check_at("u", start + Duration::from_secs(20))
            .is_ok());
    }
}
