//! Personal data of complainants, for Thailand's PDPA: find everything held about one
//! person by the keyed hash of their national ID or phone, and erase it while keeping
//! the workflow facts the statistics are made of.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::grievances::GrievanceRow;
use super::schema::{
    grievance_comments, grievance_events, grievance_photos, grievances, visit_photos,
    webhook_outbox,
};
use super::DbConnection;
use crate::domain::departments;

/// What stands in for erased free text.
pub const REDACTED: &str = "[ลบข้อมูลส่วนบุคคลแล้ว / personal data removed]";

/// The grievances whose complainant matches either lookup hash, oldest first.
pub fn grievances_of_subject(
    conn: &mut DbConnection,
    national_id_hash: Option<&str>,
    phone_hash: Option<&str>,
) -> QueryResult<Vec<GrievanceRow>> {
    let mut query = grievances::table.into_boxed();
    query = match (national_id_hash, phone_hash) {
        (Some(nid), Some(phone)) => query.filter(
            grievances::national_id_hash
                .eq(nid.to_owned())
                .or(grievances::phone_hash.eq(phone.to_owned())),
        ),
        (Some(nid), None) => query.filter(grievances::national_id_hash.eq(nid.to_owned())),
        (None, Some(phone)) => query.filter(grievances::phone_hash.eq(phone.to_owned())),
        (None, None) => return Ok(Vec::new()),
    };
    query
        .order((grievances::created_at.asc(), grievances::id.asc()))
        .select(GrievanceRow::as_select())
        .load(conn)
}

/// Erases the complainant's data and every copy of the grievances' free text: title,
/// description, a referral to an agency named in free text, the notes of their history,
/// their comments, and the copies in webhook deliveries (sent or not). Category,
/// priority, area, status, dates and the history's steps stay: every figure of every
/// report is unchanged.
pub fn anonymise(
    conn: &mut DbConnection,
    ids: &[String],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let changed = diesel::update(grievances::table.filter(grievances::id.eq_any(ids)))
        .set((
            grievances::complainant_name.eq(None::<String>),
            grievances::complainant_consent.eq(None::<bool>),
            grievances::phone_cipher.eq(None::<String>),
            grievances::phone_hash.eq(None::<String>),
            grievances::phone_last4.eq(None::<String>),
            grievances::national_id_cipher.eq(None::<String>),
            grievances::national_id_hash.eq(None::<String>),
            grievances::national_id_last4.eq(None::<String>),
            grievances::title.eq(REDACTED),
            grievances::description.eq(REDACTED),
            grievances::anonymised_at.eq(Some(now)),
            grievances::updated_at.eq(now),
        ))
        .execute(conn)?;
    let department_codes: Vec<&str> = departments().iter().map(|d| d.code).collect();
    diesel::update(
        grievances::table
            .filter(grievances::id.eq_any(ids))
            .filter(grievances::referred_to.is_not_null())
            .filter(grievances::referred_to.ne_all(&department_codes)),
    )
    .set(grievances::referred_to.eq(REDACTED))
    .execute(conn)?;
    // The history keeps its steps; only what people wrote in it goes (the trigger that
    // keeps the history append-only allows exactly this change).
    diesel::update(
        grievance_events::table
            .filter(grievance_events::grievance_id.eq_any(ids))
            .filter(grievance_events::note.is_not_null()),
    )
    .set(grievance_events::note.eq(REDACTED))
    .execute(conn)?;
    diesel::update(grievance_comments::table.filter(grievance_comments::grievance_id.eq_any(ids)))
        .set(grievance_comments::body.eq(REDACTED))
        .execute(conn)?;
    redact_webhook_copies(conn, ids, &department_codes)?;
    // Photos of a grievance may show its complainant: they go, and their bytes with them
    // once nothing else refers to them (`privacy::retention::sweep_unreferenced_photos`).
    diesel::delete(grievance_photos::table.filter(grievance_photos::grievance_id.eq_any(ids)))
        .execute(conn)?;
    diesel::update(grievances::table.filter(grievances::id.eq_any(ids)))
        .set((
            grievances::photos_expected.eq(0),
            grievances::photos_received.eq(0),
        ))
        .execute(conn)?;
    Ok(changed)
}

/// The SHA-256 of every photo some visit or grievance holds.
pub fn referenced_photos(
    conn: &mut DbConnection,
) -> QueryResult<std::collections::HashSet<String>> {
    let mut shas: std::collections::HashSet<String> = visit_photos::table
        .select(visit_photos::sha256)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    shas.extend(
        grievance_photos::table
            .select(grievance_photos::sha256)
            .distinct()
            .load::<String>(conn)?,
    );
    Ok(shas)
}

/// Webhook deliveries carry a grievance's title and referral: redact them in place, so
/// a delivery still pending goes out without them.
fn redact_webhook_copies(
    conn: &mut DbConnection,
    ids: &[String],
    department_codes: &[&str],
) -> QueryResult<()> {
    let deliveries: Vec<(i64, String)> = webhook_outbox::table
        .filter(webhook_outbox::grievance_id.eq_any(ids))
        .select((webhook_outbox::id, webhook_outbox::payload))
        .load(conn)?;
    for (id, payload) in deliveries {
        let Ok(mut payload) = serde_json::from_str::<serde_json::Value>(&payload) else {
            continue;
        };
        let Some(grievance) = payload.get_mut("grievance").and_then(|g| g.as_object_mut()) else {
            continue;
        };
        grievance.insert("title".into(), REDACTED.into());
        let free_referral = grievance
            .get("referred_to")
            .and_then(|r| r.as_str())
            .is_some_and(|r| !department_codes.contains(&r));
        if free_referral {
            grievance.insert("referred_to".into(), REDACTED.into());
        }
        diesel::update(webhook_outbox::table.find(id))
            .set(webhook_outbox::payload.eq(payload.to_string()))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes webhook deliveries delivered before `cutoff`: the receiver has them, and
/// each one holds a copy of what a grievance said.
pub fn prune_delivered_webhooks(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(webhook_outbox::table.filter(webhook_outbox::delivered_at.lt(cutoff)))
        .execute(conn)
}

/// Closed, rejected or duplicate grievances (no work left on them), untouched since
/// `cutoff` and not yet anonymised.
pub fn retention_due(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    grievances::table
        .filter(grievances::status.eq_any(["closed", "rejected", "duplicate"]))
        .filter(grievances::updated_at.lt(cutoff))
        .filter(grievances::anonymised_at.is_null())
        .order(grievances::updated_at.asc())
        .limit(limit)
        .select(grievances::id)
        .load(conn)
}
