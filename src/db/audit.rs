//! The append-only audit log: who did what to which record, when and from where.
//! Features write to it inside the same transaction as the change they record, so an
//! entry exists exactly when the change does.
//!
//! The log is tamper-evident: each entry stores the hash of the entry before it and a
//! hash of its own contents and that link, so editing, inserting or deleting a row breaks
//! the chain at that row ([`verify`]). Writers take a lock for the chain's head, so two
//! transactions never link to the same predecessor.

use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::schema::audit_log;
use super::DbConnection;
use crate::domain::Message;

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
    prev_hash: String,
    hash: String,
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
    pub prev_hash: String,
    pub hash: String,
}

/// The link of the first entry of the chain.
pub const GENESIS: &str = "genesis";

/// An arbitrary constant: the PostgreSQL transaction lock serialising writers of the chain.
const CHAIN_LOCK_KEY: i64 = 0x6175_6469_745f_6c6f;

/// The hash of an entry: its contents, in a fixed order with explicit lengths (so no two
/// different entries can encode alike), and the hash of the entry before it.
#[allow(clippy::too_many_arguments)]
fn entry_hash(
    prev_hash: &str,
    at: chrono::NaiveDateTime,
    actor_id: Option<&str>,
    action: &str,
    record_type: &str,
    record_id: Option<&str>,
    client_addr: Option<&str>,
    request_id: Option<&str>,
    details: &str,
) -> String {
    let mut hasher = Sha256::new();
    let at = at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    for field in [
        Some(prev_hash),
        Some(at.as_str()),
        actor_id,
        Some(action),
        Some(record_type),
        record_id,
        client_addr,
        request_id,
        Some(details),
    ] {
        match field {
            Some(value) => {
                hasher.update((value.len() as u64).to_be_bytes());
                hasher.update(value.as_bytes());
            }
            None => hasher.update(u64::MAX.to_be_bytes()),
        }
    }
    hex::encode(hasher.finalize())
}

pub fn record(conn: &mut DbConnection, client: &ClientInfo, entry: AuditEntry) -> QueryResult<()> {
    record_many(conn, client, std::slice::from_ref(&entry))
}

/// Entries appended to the chain per statement by [`record_many`].
const ENTRIES_PER_STATEMENT: usize = 500;

/// Appends `entries` to the chain in order, taking its head once: for a use case that
/// records many things at once (a bulk import), a few statements instead of three a
/// entry.
pub fn record_many(
    conn: &mut DbConnection,
    client: &ClientInfo,
    entries: &[AuditEntry],
) -> QueryResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // SQLite writers are serialised already; PostgreSQL ones wait here for the chain's
    // head until the transaction that moved it commits.
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY})")).execute(pg)?;
    }
    let mut prev_hash: String = audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first::<String>(conn)
        .optional()?
        .filter(|hash| !hash.is_empty())
        .unwrap_or_else(|| GENESIS.to_owned());
    let at = super::now();
    let rows: Vec<NewAuditRow> = entries
        .iter()
        .map(|entry| {
            let details = entry.details.to_string();
            let hash = entry_hash(
                &prev_hash,
                at,
                entry.actor_id,
                entry.action,
                entry.record_type,
                entry.record_id,
                client.addr.as_deref(),
                client.request_id.as_deref(),
                &details,
            );
            NewAuditRow {
                at,
                actor_id: entry.actor_id,
                action: entry.action,
                record_type: entry.record_type,
                record_id: entry.record_id,
                client_addr: client.addr.as_deref(),
                request_id: client.request_id.as_deref(),
                details,
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            }
        })
        .collect();
    // Rows of one statement take ids in the order given, so the chain reads in order.
    // A multi-row insert is written differently by each engine: run on the concrete one.
    for chunk in rows.chunks(ENTRIES_PER_STATEMENT) {
        let statement = diesel::insert_into(audit_log::table).values(chunk);
        match conn {
            DbConnection::Sqlite(conn) => statement.execute(conn)?,
            DbConnection::Postgres(conn) => statement.execute(conn)?,
        };
    }
    Ok(())
}

/// The id and hash of the chain's newest entry.
pub fn head(conn: &mut DbConnection) -> QueryResult<Option<(i64, String)>> {
    audit_log::table
        .order(audit_log::id.desc())
        .select((audit_log::id, audit_log::hash))
        .first(conn)
        .optional()
}

/// The hash of one entry, if it exists.
pub fn hash_of(conn: &mut DbConnection, id: i64) -> QueryResult<Option<String>> {
    audit_log::table
        .find(id)
        .select(audit_log::hash)
        .first(conn)
        .optional()
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

/// What the audit screen asks for; every field narrows, none set lists everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// An action, or its family when it ends with a dot (`user.` for `user.created`, ...).
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// From this instant on (UTC), inclusive.
    pub from: Option<chrono::NaiveDateTime>,
    /// Before this instant (UTC).
    pub before: Option<chrono::NaiveDateTime>,
}

/// The entries `filter` asks for, newest first, from below the id `below` (the page
/// before's last) on; `limit` of them.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    below: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    let mut query = audit_log::table.into_boxed();
    if let Some(action) = &filter.action {
        query = match action.strip_suffix('.') {
            Some(family) => query.filter(
                audit_log::action
                    .like(format!("{}.%", super::like_literal(family)))
                    .escape('\\'),
            ),
            None => query.filter(audit_log::action.eq(action.clone())),
        };
    }
    if let Some(actor) = &filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor.clone()));
    }
    if let Some(record_type) = &filter.record_type {
        query = query.filter(audit_log::record_type.eq(record_type.clone()));
    }
    if let Some(record_id) = &filter.record_id {
        query = query.filter(audit_log::record_id.eq(record_id.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_log::at.lt(before));
    }
    if let Some(below) = below {
        query = query.filter(audit_log::id.lt(below));
    }
    query
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRecord::as_select())
        .load(conn)
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry checked out.
    Intact { entries: u64 },
    /// The first broken entry, and why (said to an operator and to the console's
    /// administrators alike).
    Broken { id: i64, reason: Message },
}

/// Walks the whole log in id order, a chunk at a time, and reports the first entry whose
/// contents no longer match its hash (edited) or whose link does not match the entry
/// before it (a row inserted or deleted there).
pub fn verify(conn: &mut DbConnection) -> QueryResult<Verdict> {
    let mut checked = 0u64;
    let mut after = i64::MIN;
    let mut previous: Option<AuditRecord> = None;
    loop {
        let chunk: Vec<AuditRecord> = audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(5_000)
            .select(AuditRecord::as_select())
            .load(conn)?;
        let Some(last) = chunk.last() else {
            return Ok(Verdict::Intact { entries: checked });
        };
        after = last.id;
        for row in chunk {
            // Entries from before the chain existed carry no hash.
            if row.hash.is_empty() && previous.as_ref().is_none_or(|p| p.hash.is_empty()) {
                previous = Some(row);
                continue;
            }
            let expected_link = match &previous {
                Some(p) if !p.hash.is_empty() => p.hash.as_str(),
                _ => GENESIS,
            };
            if row.prev_hash != expected_link {
                let reason = match &previous {
                    Some(p) => Message::new(
                        format!(
                            "its link does not match entry {}: an entry was deleted or inserted between them",
                            p.id
                        ),
                        format!(
                            "ค่าเชื่อมโยงไม่ตรงกับรายการที่ {} มีรายการถูกลบหรือแทรกระหว่างสองรายการนี้",
                            p.id
                        ),
                    ),
                    None => Message::new(
                        "the first entry does not start the chain: entries before it were deleted",
                        "รายการแรกไม่ได้เริ่มต้นสายข้อมูล มีรายการก่อนหน้าถูกลบ",
                    ),
                };
                return Ok(Verdict::Broken { id: row.id, reason });
            }
            let recomputed = entry_hash(
                &row.prev_hash,
                row.at,
                row.actor_id.as_deref(),
                &row.action,
                &row.record_type,
                row.record_id.as_deref(),
                row.client_addr.as_deref(),
                row.request_id.as_deref(),
                &row.details,
            );
            if recomputed != row.hash {
                return Ok(Verdict::Broken {
                    id: row.id,
                    reason: Message::new(
                        "its contents do not match its hash: the entry was edited or forged",
                        "เนื้อหาไม่ตรงกับค่าแฮช รายการถูกแก้ไขหรือปลอมแปลง",
                    ),
                });
            }
            checked += 1;
            previous = Some(row);
        }
    }
}
