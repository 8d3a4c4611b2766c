//! The append-only audit log: who did what to which record, when and from where.
//! Features write to it inside the same transaction as the change they record, so an
//! entry exists exactly when the change does.

use diesel::prelude::*;
use serde_json::Value;

use super::schema::audit_log;
use super::DbConnection;

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub addr: Option<String>,
    pub request_id: Option<String>,
}

/// One thing that happened. `details` must never hold secrets or a complainant's
/// personal data: the log is kept for years and cannot be edited.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub record_type: &'a str,
    pub record_id: Option<&'a str>,
    pub details: Value,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    at: chrono::NaiveDateTime,
    actor_id: Option<&'a str>,
    action: &'a str,
    record_type: &'a str,
    record_id: Option<&'a str>,
    client_addr: Option<&'a str>,
    request_id: Option<&'a str>,
    details: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: i64,
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
}

pub fn record(conn: &mut DbConnection, client: &ClientInfo, entry: AuditEntry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewAuditRow {
            at: super::now(),
            actor_id: entry.actor_id,
            action: entry.action,
            record_type: entry.record_type,
            record_id: entry.record_id,
            client_addr: client.addr.as_deref(),
            request_id: client.request_id.as_deref(),
            details: entry.details.to_string(),
        })
        .execute(conn)?;
    Ok(())
}

/// The entries about one record, oldest first.
pub fn for_record(
    conn: &mut DbConnection,
    record_type: &str,
    record_id: &str,
) -> QueryResult<Vec<AuditRecord>> {
    audit_log::table
        .filter(audit_log::record_type.eq(record_type))
        .filter(audit_log::record_id.eq(record_id))
        .order(audit_log::id.asc())
        .select(AuditRecord::as_select())
        .load(conn)
}
