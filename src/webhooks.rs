//! Webhooks: grievance events (created, assigned, status changed, overdue) POSTed as JSON
//! to one configured URL, signed with HMAC-SHA256.
//!
//! Events are written to the `webhook_outbox` table in the same transaction as the change
//! they announce, then sent by a background dispatcher with exponential backoff. Delivery
//! is at least once: a receiver dedupes on `X-Fieldweek-Delivery`. Nothing is dropped
//! while the receiver is down; it is retried, at most hourly, until it answers 2xx.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::config::WebhookConfig;
use crate::db::grievances::{self, GrievanceRow};
use crate::db::schema::webhook_outbox;
use crate::db::{Db, DbConnection, OutboxBacklog};
use crate::error::ApiError;

const MAX_BACKOFF: Duration = Duration::from_secs(3600);
const CLAIM_SECONDS: i64 = 60;
const BATCH: i64 = 20;

/// Writes events into the outbox; does nothing when webhooks are off.
#[derive(Debug, Clone, Copy)]
pub struct EventSink {
    enabled: bool,
}

impl EventSink {
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// Queues `event_type` about a grievance, in the caller's transaction.
    pub fn grievance(
        &self,
        conn: &mut DbConnection,
        event_type: &str,
        row: &GrievanceRow,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let delivery_id = uuid::Uuid::new_v4().to_string();
        let payload = json!({
            "id": delivery_id,
            "type": event_type,
            "occurred_at": now.and_utc(),
            "grievance": grievance_summary(row),
        });
        diesel::insert_into(webhook_outbox::table)
            .values((
                webhook_outbox::delivery_id.eq(&delivery_id),
                webhook_outbox::event_type.eq(event_type),
                webhook_outbox::payload.eq(payload.to_string()),
                webhook_outbox::created_at.eq(now),
                webhook_outbox::next_attempt_at.eq(now),
                webhook_outbox::grievance_id.eq(&row.id),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// What a receiver learns: the workflow facts, never the complainant's personal data.
fn grievance_summary(row: &GrievanceRow) -> Value {
    json!({
        "id": row.id,
        "status": row.status,
        "version": row.version,
        "category": row.category,
        "priority": row.priority,
        "title": row.title,
        "area_code": row.area_code,
        "reporter_id": row.reporter_id,
        "assignee_id": row.assignee_id,
        "referred_to": row.referred_to,
        "duplicate_of": row.duplicate_of,
        "due_at": row.due_at.and_utc(),
        "created_at": row.created_at.and_utc(),
        "updated_at": row.updated_at.and_utc(),
    })
}

/// `sha256=<hex>` of HMAC-SHA256 over `"<timestamp>.<body>"`: the timestamp inside the
/// signature lets a receiver refuse replays of old deliveries.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Runs until the process ends: announces newly overdue grievances and delivers the outbox.
pub async fn run_dispatcher(db: Db, config: WebhookConfig) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("fieldweek/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhooks disabled: cannot build an HTTP client");
            return;
        }
    };
    loop {
        if let Err(error) = announce_overdue(&db).await {
            tracing::warn!(error = %error, "checking for overdue grievances failed");
        }
        match deliver_due(&db, &client, &config).await {
            // More may be waiting: go again at once.
            Ok(sent) if sent as i64 == BATCH => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "webhook delivery round failed"),
        }
        tokio::time::sleep(config.poll_interval).await;
    }
}

async fn announce_overdue(db: &Db) -> Result<(), ApiError> {
    db.write(|conn| {
        let now = crate::db::now();
        let sink = EventSink::new(true);
        for row in grievances::take_newly_overdue(conn, now, 100)? {
            sink.grievance(conn, "grievance.overdue", &row, now)?;
        }
        Ok(())
    })
    .await
}

#[derive(Debug, Queryable)]
struct Pending {
    id: i64,
    delivery_id: String,
    event_type: String,
    payload: String,
    attempts: i64,
}

/// Claims due deliveries (so several nodes never send one at once) and sends them.
async fn deliver_due(
    db: &Db,
    client: &reqwest::Client,
    config: &WebhookConfig,
) -> Result<usize, ApiError> {
    let claimed: Vec<Pending> = db
        .write(|conn| {
            let now = crate::db::now();
            let due: Vec<Pending> = webhook_outbox::table
                .filter(webhook_outbox::delivered_at.is_null())
                .filter(webhook_outbox::next_attempt_at.le(now))
                .filter(
                    webhook_outbox::locked_until
                        .is_null()
                        .or(webhook_outbox::locked_until.lt(now)),
                )
                .order(webhook_outbox::id.asc())
                .limit(BATCH)
                .select((
                    webhook_outbox::id,
                    webhook_outbox::delivery_id,
                    webhook_outbox::event_type,
                    webhook_outbox::payload,
                    webhook_outbox::attempts,
                ))
                .load(conn)?;
            let mut claimed = Vec::new();
            for pending in due {
                let taken = diesel::update(
                    webhook_outbox::table
                        .filter(webhook_outbox::id.eq(pending.id))
                        .filter(webhook_outbox::delivered_at.is_null())
                        .filter(
                            webhook_outbox::locked_until
                                .is_null()
                                .or(webhook_outbox::locked_until.lt(now)),
                        ),
                )
                .set(
                    webhook_outbox::locked_until.eq(now + chrono::Duration::seconds(CLAIM_SECONDS)),
                )
                .execute(conn)?;
                if taken == 1 {
                    claimed.push(pending);
                }
            }
            Ok(claimed)
        })
        .await?;

    let count = claimed.len();
    for pending in claimed {
        let outcome = send(client, config, &pending).await;
        let id = pending.id;
        let attempts = pending.attempts + 1;
        let retry_base = config.retry_base;
        db.write(move |conn| {
            let now = crate::db::now();
            let row = webhook_outbox::table.filter(webhook_outbox::id.eq(id));
            match outcome {
                Ok(()) => diesel::update(row)
                    .set((
                        webhook_outbox::delivered_at.eq(Some(now)),
                        webhook_outbox::attempts.eq(attempts),
                        webhook_outbox::locked_until.eq(None::<NaiveDateTime>),
                        webhook_outbox::last_error.eq(None::<String>),
                    ))
                    .execute(conn)?,
                Err(error) => diesel::update(row)
                    .set((
                        webhook_outbox::attempts.eq(attempts),
                        webhook_outbox::next_attempt_at.eq(now + backoff(retry_base, attempts)),
                        webhook_outbox::locked_until.eq(None::<NaiveDateTime>),
                        webhook_outbox::last_error.eq(Some(error)),
                    ))
                    .execute(conn)?,
            };
            Ok(())
        })
        .await?;
    }
    Ok(count)
}

async fn send(
    client: &reqwest::Client,
    config: &WebhookConfig,
    pending: &Pending,
) -> Result<(), String> {
    let timestamp = Utc::now().timestamp();
    let response = client
        .post(&config.url)
        .header("Content-Type", "application/json")
        .header("X-Fieldweek-Event", &pending.event_type)
        .header("X-Fieldweek-Delivery", &pending.delivery_id)
        .header("X-Fieldweek-Timestamp", timestamp.to_string())
        .header(
            "X-Fieldweek-Signature",
            signature(&config.secret, timestamp, &pending.payload),
        )
        .body(pending.payload.clone())
        .send()
        .await
        // Kept in the outbox and shown to administrators: never the URL, which may carry
        // credentials or a token.
        .map_err(|e| format!("{}", e.without_url()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("receiver answered {}", response.status()))
    }
}

/// The undelivered entries, all of them, and how long the oldest has waited: one
/// aggregate over the `webhook_outbox_pending` index, for `/metrics`.
pub fn backlog(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<OutboxBacklog> {
    let (undelivered, oldest): (i64, Option<NaiveDateTime>) = webhook_outbox::table
        .filter(webhook_outbox::delivered_at.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(webhook_outbox::created_at),
        ))
        .first(conn)?;
    let oldest_age_seconds = oldest.map_or(0.0, |created| {
        ((now - created).num_milliseconds() as f64 / 1000.0).max(0.0)
    });
    Ok(OutboxBacklog {
        undelivered,
        oldest_age_seconds,
    })
}

/// One event in the outbox, as the administrators' outbox screen shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_outbox)]
pub struct OutboxEntry {
    pub id: i64,
    pub delivery_id: String,
    pub event_type: String,
    pub created_at: NaiveDateTime,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub grievance_id: Option<String>,
}

/// What the outbox holds: the backlog, the undelivered events that failed at least once
/// (oldest first), and the last deliveries.
#[derive(Debug, Clone)]
pub struct OutboxState {
    pub backlog: OutboxBacklog,
    pub failing: Vec<OutboxEntry>,
    /// Undelivered events that failed at least once, all of them (`failing` may be capped).
    pub failing_total: i64,
    pub delivered: Vec<OutboxEntry>,
}

/// The outbox's state, with at most `shown` events in each list.
pub fn state(conn: &mut DbConnection, now: NaiveDateTime, shown: i64) -> QueryResult<OutboxState> {
    let backlog = backlog(conn, now)?;
    let failing_undelivered = || {
        webhook_outbox::table
            .filter(webhook_outbox::delivered_at.is_null())
            .filter(webhook_outbox::attempts.gt(0))
    };
    let failing_total = failing_undelivered().count().get_result(conn)?;
    let failing = failing_undelivered()
        .order(webhook_outbox::id.asc())
        .limit(shown)
        .select(OutboxEntry::as_select())
        .load(conn)?;
    // Newest first by id, which follows creation: no index on the delivery time needed.
    let delivered = webhook_outbox::table
        .filter(webhook_outbox::delivered_at.is_not_null())
        .order(webhook_outbox::id.desc())
        .limit(shown)
        .select(OutboxEntry::as_select())
        .load(conn)?;
    Ok(OutboxState {
        backlog,
        failing,
        failing_total,
        delivered,
    })
}

/// Makes an undelivered event due now, for the dispatcher's next round (after the
/// receiver was mended, say). `false` when there is no such undelivered event.
pub fn retry_now(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        webhook_outbox::table
            .find(id)
            .filter(webhook_outbox::delivered_at.is_null()),
    )
    .set(webhook_outbox::next_attempt_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

/// `base * 2^(attempts-1)`, at most an hour.
fn backoff(base: Duration, attempts: i64) -> chrono::Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(1, 30) as u32 - 1);
    let delay = base.saturating_mul(factor).min(MAX_BACKOFF);
    chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(base, 1).num_seconds(), 5);
        assert_eq!(backoff(base, 2).num_seconds(), 10);
        assert_eq!(backoff(base, 5).num_seconds(), 80);
        assert_eq!(backoff(base, 40).num_seconds(), 3600);
    }

    #[test]
    fn signatures_are_keyed_and_cover_time_and_body() {
        let a = signature("secret-one-secret-one", 1_700_000_000, "{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, signature("secret-two-secret-two", 1_700_000_000, "{}"));
        assert_ne!(a, signature("secret-one-secret-one", 1_700_000_001, "{}"));
        assert_ne!(a, signature("secret-one-secret-one", 1_700_000_000, "[]"));
    }
}
