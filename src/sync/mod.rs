//! The phone sync feed (`GET /sync/changes`): one feed of what changed in the caller's
//! sync set (the visits it filed, the grievances it filed or is assigned, its account,
//! the households of its village or district),
//! as upserts carrying the document `GET` would return and removals of what left the set.
//!
//! Storage keeps a position on every record and a removal for what leaves a source query
//! without changing (`db::sync`, which explains why no change is ever skipped). This
//! module merges the sources, judges each record now through the policy (the same rule
//! as `GET`), builds the views `GET` builds, and signs the cursor (`cursor`).

pub mod cursor;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::UserView;
use crate::auth::AuthUser;
use crate::db::grievances::GrievanceRow;
use crate::db::households::HouseholdRow;
use crate::db::sync::{self as store, DepartureRow, GrievanceSource, Position, RemovalRow};
use crate::db::visits::VisitRow;
use crate::db::DbConnection;
use crate::domain::{GrievanceId, HouseholdId};
use crate::error::ApiError;
use crate::grievances::service::{views as grievance_views, GrievanceServices};
use crate::grievances::view::{has_sensitive_data, GrievanceView};
use crate::households::service::{views as household_views, Reader as HouseholdReader};
use crate::households::view::HouseholdView;
use crate::policy;
use crate::visits::view::VisitView;
use cursor::{Cursor, CursorKey};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 500;

/// What kind of record a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Visit,
    Grievance,
    Account,
    Household,
}

/// `upsert`: store `data` under `id`; `remove`: forget `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Remove,
}

/// The record's document, as `GET` returns it to the caller.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ChangeData {
    Visit(Box<VisitView>),
    Grievance(Box<GrievanceView>),
    Account(Box<UserView>),
    Household(Box<HouseholdView>),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    pub kind: ChangeKind,
    pub op: ChangeOp,
    pub id: String,
    /// When the record last changed (for a removal written when it left: that moment).
    pub changed_at: DateTime<Utc>,
    /// The document (`Visit`, `Grievance`, `User` or `Household`) for an upsert; null for
    /// a removal.
    #[schema(required = true)]
    pub data: Option<ChangeData>,
}

/// `{"changes": [...], "next_cursor": "...", "has_more": bool}`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Always present: send it back as `cursor` for what comes next.
    pub next_cursor: String,
    /// More changes are waiting: ask again at once with `next_cursor`.
    pub has_more: bool,
}

/// The feed's configuration: the key that signs cursors and how long one stays usable.
#[derive(Clone)]
pub struct SyncFeed {
    key: CursorKey,
    retention: chrono::Duration,
}

/// What one read found: the page, and the grievances shown with their complainant's data
/// in full, whose reading must be audited like a `GET`'s.
pub struct FeedRead {
    pub page: ChangesPage,
    pub unmasked: Vec<GrievanceId>,
}

/// One entry of a source, before it is judged.
enum Found {
    Visit(VisitRow),
    Grievance(Box<GrievanceRow>),
    Account(crate::db::users::UserRow),
    Household(Box<HouseholdRow>),
    Removal(RemovalRow),
    /// A household that moved out of the caller's area.
    Departure(DepartureRow),
}

impl Found {
    fn key(&self) -> (ChangeKind, String) {
        match self {
            Self::Visit(row) => (ChangeKind::Visit, row.id.to_string()),
            Self::Grievance(row) => (ChangeKind::Grievance, row.id.to_string()),
            Self::Account(row) => (ChangeKind::Account, row.id.to_string()),
            Self::Household(row) => (ChangeKind::Household, row.id.to_string()),
            // The only kind a removal is written for so far.
            Self::Removal(row) => (ChangeKind::Grievance, row.record_id.clone()),
            Self::Departure(row) => (ChangeKind::Household, row.household_id.to_string()),
        }
    }
}

impl SyncFeed {
    pub fn new(key: [u8; 32], retention: std::time::Duration) -> Self {
        Self {
            key: CursorKey::new(key),
            retention: chrono::Duration::from_std(retention)
                .unwrap_or_else(|_| chrono::Duration::days(30)),
        }
    }

    /// Days removals must be kept: as long as a cursor is usable, and a day more for the
    /// transactions under way when a cursor was issued.
    pub fn removal_days(&self) -> i64 {
        (self.retention.num_seconds() + 86_399) / 86_400 + 1
    }

    /// The cursor a phone sent, checked: 410 `cursor_expired` unless this server issued it
    /// to `user` within the retention. `None` without one.
    pub fn cursor(&self, user: &AuthUser, raw: Option<&str>) -> Result<Option<Cursor>, ApiError> {
        match raw {
            None => Ok(None),
            Some(raw) => self
                .key
                .decode(
                    &user.id,
                    raw,
                    Utc::now().timestamp(),
                    self.retention.num_seconds(),
                )
                .map(Some),
        }
    }

    /// Up to `limit` changes after `after` (everything in the set, as upserts, without
    /// one). Run it in one read snapshot (`Db::read_snapshot`): on SQLite the sources
    /// must see the same commits.
    pub fn read(
        &self,
        conn: &mut DbConnection,
        user: &AuthUser,
        after: Option<Cursor>,
        limit: i64,
        services: &GrievanceServices,
    ) -> Result<FeedRead, ApiError> {
        let from = after.map(|c| c.position).unwrap_or_default();
        let below = store::watermark(conn)?;
        // Each source gives one more than a page: the first `limit` of the merge lie
        // within them, and one more tells whether more follow.
        let fetch = limit + 1;
        let mut found: Vec<(Position, Found)> = Vec::new();
        for (row, at) in store::visits_filed_by(conn, &user.id, from, below, fetch)? {
            found.push((at, Found::Visit(row)));
        }
        for source in [GrievanceSource::ReportedBy, GrievanceSource::AssignedTo] {
            for (row, at) in store::grievances_of(conn, source, &user.id, from, below, fetch)? {
                found.push((at, Found::Grievance(Box::new(row))));
            }
        }
        if let Some(scope) = policy::household_sync_scope(user) {
            for (row, at) in store::households_in(conn, &scope, from, below, fetch)? {
                found.push((at, Found::Household(Box::new(row))));
            }
            for departure in store::departures_from(conn, &scope, from, below, fetch)? {
                found.push((departure.position(), Found::Departure(departure)));
            }
        }
        if let Some((row, at)) = store::account(conn, &user.id, from, below)? {
            found.push((at, Found::Account(row)));
        }
        for removal in store::removals_for(conn, &user.id, from, below, fetch)? {
            found.push((removal.position(), Found::Removal(removal)));
        }
        // A grievance both filed by and assigned to the caller comes from two sources at
        // one position: once is enough.
        found.sort_by_cached_key(|(at, found)| (*at, found.key()));
        found.dedup_by(|a, b| a.0 == b.0 && a.1.key() == b.1.key());
        let has_more = found.len() as i64 > limit;
        found.truncate(limit as usize);

        let position = found.last().map_or(from, |(at, _)| *at);
        // Mid-way through a backlog the cursor keeps the time of the one before: what the
        // phone has yet to read may be as old as that, and must not be pruned first.
        let issued_at = match (has_more, after) {
            (true, Some(before)) => before.issued_at,
            _ => Utc::now().timestamp(),
        };
        let next_cursor = self.key.encode(
            &user.id,
            Cursor {
                position,
                issued_at,
            },
        );
        // A phone that sent no cursor holds nothing yet: removals would tell it nothing.
        let (changes, unmasked) = self.judge(conn, user, found, after.is_none(), services)?;
        Ok(FeedRead {
            unmasked,
            page: ChangesPage {
                changes,
                next_cursor,
                has_more,
            },
        })
    }

    /// Each record once, at its latest position in the page, judged as it stands now:
    /// in the caller's sync set, an upsert with `GET`'s document; else a removal.
    fn judge(
        &self,
        conn: &mut DbConnection,
        user: &AuthUser,
        found: Vec<(Position, Found)>,
        skip_removals: bool,
        services: &GrievanceServices,
    ) -> Result<(Vec<Change>, Vec<GrievanceId>), ApiError> {
        let mut latest: HashMap<(ChangeKind, String), usize> = HashMap::new();
        for (index, (_, entry)) in found.iter().enumerate() {
            latest.insert(entry.key(), index);
        }
        // Removals are judged on the grievance as it stands now: reassigned back to the
        // caller, it is an upsert again.
        let removed_ids: Vec<GrievanceId> = found
            .iter()
            .filter_map(|(_, entry)| match entry {
                Found::Removal(row) => Some(GrievanceId::unchecked(row.record_id.clone())),
                _ => None,
            })
            .collect();
        let mut current: HashMap<String, GrievanceRow> =
            store::grievances_by_id(conn, &removed_ids)?
                .into_iter()
                .map(|row| (row.id.to_string(), row))
                .collect();
        // Departures likewise: moved back, or within the caller's district, it stays.
        let departed_ids: Vec<HouseholdId> = found
            .iter()
            .filter_map(|(_, entry)| match entry {
                Found::Departure(row) => Some(row.household_id.clone()),
                _ => None,
            })
            .collect();
        let mut households_now: HashMap<String, HouseholdRow> =
            store::households_by_id(conn, &departed_ids)?
                .into_iter()
                .map(|row| (row.id.to_string(), row))
                .collect();

        enum Verdict {
            Visit(VisitRow),
            Grievance(Box<GrievanceRow>),
            Account(crate::db::users::UserRow),
            Household(Box<HouseholdRow>),
            Remove(ChangeKind, String, DateTime<Utc>),
        }
        let mut verdicts = Vec::new();
        for (index, (_, entry)) in found.into_iter().enumerate() {
            if latest.get(&entry.key()) != Some(&index) {
                continue;
            }
            verdicts.push(match entry {
                Found::Visit(row) if policy::visit_in_sync_set(user, &row) => Verdict::Visit(row),
                Found::Visit(row) => Verdict::Remove(
                    ChangeKind::Visit,
                    row.id.to_string(),
                    row.updated_at.and_utc(),
                ),
                Found::Account(row) => Verdict::Account(row),
                Found::Household(row) if policy::household_in_sync_set(user, &row) => {
                    Verdict::Household(row)
                }
                Found::Household(row) => Verdict::Remove(
                    ChangeKind::Household,
                    row.id.to_string(),
                    row.updated_at.and_utc(),
                ),
                Found::Grievance(row) if policy::grievance_in_sync_set(user, &row) => {
                    Verdict::Grievance(row)
                }
                Found::Grievance(row) => Verdict::Remove(
                    ChangeKind::Grievance,
                    row.id.to_string(),
                    row.updated_at.and_utc(),
                ),
                Found::Departure(departure) => {
                    let id = departure.household_id.to_string();
                    match households_now.remove(&id) {
                        Some(row) if policy::household_in_sync_set(user, &row) => {
                            Verdict::Household(Box::new(row))
                        }
                        _ => Verdict::Remove(
                            ChangeKind::Household,
                            id,
                            departure.created_at.and_utc(),
                        ),
                    }
                }
                Found::Removal(removal) => match current.remove(&removal.record_id) {
                    Some(row) if policy::grievance_in_sync_set(user, &row) => {
                        Verdict::Grievance(Box::new(row))
                    }
                    _ => Verdict::Remove(
                        ChangeKind::Grievance,
                        removal.record_id,
                        removal.created_at.and_utc(),
                    ),
                },
            });
        }

        // The documents, a few statements for the whole page, as `GET` builds them.
        let visit_rows: Vec<VisitRow> = verdicts
            .iter()
            .filter_map(|v| match v {
                Verdict::Visit(row) => Some(row.clone()),
                _ => None,
            })
            .collect();
        let grievance_rows: Vec<GrievanceRow> = verdicts
            .iter()
            .filter_map(|v| match v {
                Verdict::Grievance(row) => Some(GrievanceRow::clone(row)),
                _ => None,
            })
            .collect();
        let unmasked: Vec<GrievanceId> = grievance_rows
            .iter()
            .filter(|row| policy::may_unmask(user, row) && has_sensitive_data(row))
            .map(|row| row.id.clone())
            .collect();
        let mut visits: HashMap<String, VisitView> = crate::visits::view::views(conn, visit_rows)?
            .into_iter()
            .map(|view| (view.id.clone(), view))
            .collect();
        let mut grievances: HashMap<String, GrievanceView> = grievance_views(
            conn,
            user,
            grievance_rows,
            |row| policy::may_unmask(user, row),
            services,
        )?
        .into_iter()
        .map(|view| (view.id.clone(), view))
        .collect();

        let household_rows: Vec<HouseholdRow> = verdicts
            .iter()
            .filter_map(|v| match v {
                Verdict::Household(row) => Some(HouseholdRow::clone(row)),
                _ => None,
            })
            .collect();
        // Numbers masked, as `GET /households/{id}` shows them.
        let mut households: HashMap<String, HouseholdView> = household_views(
            conn,
            household_rows,
            &HouseholdReader::of(user),
            false,
            &services.cipher,
        )?
        .into_iter()
        .map(|view| (view.id.clone(), view))
        .collect();

        let mut changes = Vec::with_capacity(verdicts.len());
        for verdict in verdicts {
            let change = match verdict {
                Verdict::Visit(row) => {
                    let id = row.id.to_string();
                    let Some(view) = visits.remove(&id) else {
                        continue;
                    };
                    upsert(
                        ChangeKind::Visit,
                        id,
                        view.updated_at,
                        ChangeData::Visit(Box::new(view)),
                    )
                }
                Verdict::Grievance(row) => {
                    let id = row.id.to_string();
                    let Some(view) = grievances.remove(&id) else {
                        continue;
                    };
                    upsert(
                        ChangeKind::Grievance,
                        id,
                        view.updated_at,
                        ChangeData::Grievance(Box::new(view)),
                    )
                }
                Verdict::Account(row) => {
                    let changed_at = row.updated_at.and_utc();
                    let view = UserView::from(row);
                    upsert(
                        ChangeKind::Account,
                        view.id.clone(),
                        changed_at,
                        ChangeData::Account(Box::new(view)),
                    )
                }
                Verdict::Household(row) => {
                    let id = row.id.to_string();
                    let Some(view) = households.remove(&id) else {
                        continue;
                    };
                    upsert(
                        ChangeKind::Household,
                        id,
                        view.updated_at,
                        ChangeData::Household(Box::new(view)),
                    )
                }
                Verdict::Remove(_, _, _) if skip_removals => continue,
                Verdict::Remove(kind, id, changed_at) => Change {
                    kind,
                    op: ChangeOp::Remove,
                    id,
                    changed_at,
                    data: None,
                },
            };
            changes.push(change);
        }
        Ok((changes, unmasked))
    }
}

fn upsert(kind: ChangeKind, id: String, changed_at: DateTime<Utc>, data: ChangeData) -> Change {
    Change {
        kind,
        op: ChangeOp::Upsert,
        id,
        changed_at,
        data: Some(data),
    }
}

/// Audits the feed's unmasked reads of complainants' data, as `GET /grievances/{id}`
/// does its own: one entry a grievance. Run it in a write transaction.
pub fn audit_unmasked_reads(
    conn: &mut DbConnection,
    user: &AuthUser,
    ids: &[GrievanceId],
) -> Result<(), ApiError> {
    for id in ids {
        user.audit(
            conn,
            "grievance.personal_data_read",
            "grievance",
            Some(id.as_str()),
            serde_json::json!({ "fields": ["phone", "national_id"], "via": "sync" }),
        )?;
    }
    Ok(())
}
