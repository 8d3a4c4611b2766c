//! Personal data of complainants, for Thailand's PDPA: find everything held about one
//! person by the keyed hash of their national ID or phone, and erase it while keeping
//! the workflow facts the statistics are made of.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::grievances::GrievanceRow;
use super::schema::{grievance_comments, grievances};
use super::DbConnection;

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

/// Erases the complainant's data, the free text and the comments of these grievances.
/// Category, priority, area, status, dates and history stay: every figure of every report
/// is unchanged. (History notes are append-only and are not rewritten.)
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
    diesel::update(grievance_comments::table.filter(grievance_comments::grievance_id.eq_any(ids)))
        .set(grievance_comments::body.eq(REDACTED))
        .execute(conn)?;
    Ok(changed)
}

/// Closed or rejected grievances, untouched since `cutoff` and not yet anonymised.
pub fn retention_due(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    grievances::table
        .filter(grievances::status.eq_any(["closed", "rejected"]))
        .filter(grievances::updated_at.lt(cutoff))
        .filter(grievances::anonymised_at.is_null())
        .order(grievances::updated_at.asc())
        .limit(limit)
        .select(grievances::id)
        .load(conn)
}
