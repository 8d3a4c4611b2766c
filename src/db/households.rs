//! The target-group register's tables: households, their members and each household's
//! history. Members' phones and national IDs arrive sealed (`privacy::ProtectedValue`);
//! the history names what changed, never the values.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{household_events, household_members, households};
use super::{DbConnection, Filed};
use crate::domain::{AreaScope, Bbox, HouseholdId, MemberId, Sex, TargetGroup, UserId, Visibility};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = households,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct HouseholdRow {
    pub id: HouseholdId,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub area_code: String,
    pub province_code: String,
    pub district_code: Option<String>,
    pub address: Option<String>,
    pub consent: bool,
    /// The target groups of its current members (`TargetGroup::bits_of`).
    pub target_groups: i64,
    pub version: i64,
    pub content_hash: String,
    /// Kept by the visits filed to it (migration 20's trigger); never written back from a
    /// row read earlier.
    #[diesel(skip_update)]
    pub last_visit_at: Option<NaiveDateTime>,
    /// The latest visit's follow-up date, while it asks for one (the same trigger).
    #[diesel(skip_update)]
    pub next_visit_due: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = household_members,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct MemberRow {
    pub id: MemberId,
    pub household_id: HouseholdId,
    pub position: i64,
    pub name: Option<String>,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
    pub target_groups: i64,
    pub phone_cipher: Option<String>,
    pub phone_hash: Option<String>,
    pub phone_last4: Option<String>,
    pub national_id_cipher: Option<String>,
    pub national_id_hash: Option<String>,
    pub national_id_last4: Option<String>,
    pub notes: Option<String>,
    pub removed: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = household_events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub household_id: HouseholdId,
    pub version: i64,
    pub action: String,
    /// JSON: the fields and members changed, never their values.
    pub changes: String,
    pub actor_id: UserId,
    pub at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, id: &HouseholdId) -> QueryResult<Option<HouseholdRow>> {
    households::table
        .find(id)
        .select(HouseholdRow::as_select())
        .first(conn)
        .optional()
}

/// Files a new household with its members and its first event, idempotently on its id:
/// the same household sent again by its author finds what is stored, another under the
/// same id is a conflict.
pub fn file(
    conn: &mut DbConnection,
    row: HouseholdRow,
    members: &[MemberRow],
    event: &EventRow,
) -> QueryResult<Filed<HouseholdRow>> {
    if crate::insert_if_absent!(conn, households::table, &row) {
        for member in members {
            diesel::insert_into(household_members::table)
                .values(member)
                .execute(conn)?;
        }
        record_event(conn, event)?;
        return Ok(Filed::Created(Box::new(row)));
    }
    let stored = households::table
        .find(&row.id)
        .select(HouseholdRow::as_select())
        .first(conn)?;
    let same = stored.created_by == row.created_by && stored.content_hash == row.content_hash;
    Ok(Filed::earlier(stored, same))
}

/// Writes a changed household over `expected_version`; `false` when someone else changed
/// it first.
pub fn update(
    conn: &mut DbConnection,
    row: &HouseholdRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let changed = diesel::update(
        households::table
            .find(&row.id)
            .filter(households::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(changed == 1)
}

/// Writes a member as given: a new one is added, a known one replaced.
pub fn put_member(conn: &mut DbConnection, member: &MemberRow, known: bool) -> QueryResult<()> {
    if known {
        diesel::update(household_members::table.find(&member.id))
            .set(member)
            .execute(conn)?;
    } else {
        diesel::insert_into(household_members::table)
            .values(member)
            .execute(conn)?;
    }
    Ok(())
}

pub fn record_event(conn: &mut DbConnection, event: &EventRow) -> QueryResult<()> {
    diesel::insert_into(household_events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

/// `rows` gathered by the household each names (`key`), in their order; rows naming
/// none are left out.
pub fn by_household<R>(
    rows: Vec<R>,
    key: impl Fn(&R) -> Option<&HouseholdId>,
) -> HashMap<HouseholdId, Vec<R>> {
    let mut gathered: HashMap<HouseholdId, Vec<R>> = HashMap::new();
    for row in rows {
        if let Some(household) = key(&row).cloned() {
            gathered.entry(household).or_default().push(row);
        }
    }
    gathered
}

/// Members of each household (removed ones too), in the order they were added.
pub fn members_of(
    conn: &mut DbConnection,
    ids: &[&HouseholdId],
) -> QueryResult<HashMap<HouseholdId, Vec<MemberRow>>> {
    let rows: Vec<MemberRow> = household_members::table
        .filter(household_members::household_id.eq_any(ids))
        .order((household_members::household_id, household_members::position))
        .select(MemberRow::as_select())
        .load(conn)?;
    Ok(by_household(rows, |row| Some(&row.household_id)))
}

/// Each household's history, oldest first.
pub fn events_of(
    conn: &mut DbConnection,
    ids: &[&HouseholdId],
) -> QueryResult<HashMap<HouseholdId, Vec<EventRow>>> {
    let rows: Vec<EventRow> = household_events::table
        .filter(household_events::household_id.eq_any(ids))
        .order((household_events::household_id, household_events::version))
        .select(EventRow::as_select())
        .load(conn)?;
    Ok(by_household(rows, |row| Some(&row.household_id)))
}

/// What a list of households asks for.
#[derive(Debug, Clone)]
pub struct HouseholdFilter {
    pub scope: AreaScope,
    /// Households with a current member in any of these groups; all when empty.
    pub target_groups: Vec<TargetGroup>,
    /// Part of the address or of a member's name.
    pub text: Option<String>,
    pub bbox: Option<Bbox>,
    /// `(true, day)`: only households with a follow-up due by `day` (overdue included);
    /// `(false, day)`: only those without.
    pub follow_up_due: Option<(bool, NaiveDate)>,
}

/// A page of households by id, after the id `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &HouseholdFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<HouseholdRow>> {
    let mut query = households::table.into_boxed();
    query = crate::scoped!(query, households, &filter.scope);
    if !filter.target_groups.is_empty() {
        let bits = TargetGroup::bits_of(&filter.target_groups);
        query = query.filter(super::visits::has_bits(households::target_groups, bits).ne(0_i64));
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", super::like_literal(text));
        let named = household_members::table
            .filter(household_members::name.like(pattern.clone()).escape('\\'))
            .filter(household_members::removed.eq(false))
            .select(household_members::household_id);
        query = query.filter(
            households::address
                .like(pattern)
                .escape('\\')
                .or(households::id.eq_any(named)),
        );
    }
    if let Some(bbox) = filter.bbox {
        query = query
            .filter(households::lat.between(bbox.min_lat, bbox.max_lat))
            .filter(households::lon.between(bbox.min_lon, bbox.max_lon));
    }
    match filter.follow_up_due {
        Some((true, day)) => query = query.filter(households::next_visit_due.le(day)),
        Some((false, day)) => {
            query = query.filter(
                households::next_visit_due
                    .is_null()
                    .or(households::next_visit_due.gt(day)),
            )
        }
        None => {}
    }
    if let Some(after) = after {
        query = query.filter(households::id.gt(after.to_owned()));
    }
    query
        .order(households::id.asc())
        .limit(limit)
        .select(HouseholdRow::as_select())
        .load(conn)
}

/// The households of `scope` whose follow-up is due by `day`, the longest overdue first,
/// at most `limit`; and how many there are in all.
pub fn due_by(
    conn: &mut DbConnection,
    scope: &AreaScope,
    day: NaiveDate,
    limit: i64,
) -> QueryResult<(Vec<HouseholdRow>, i64)> {
    macro_rules! due {
        () => {{
            let query = households::table
                .filter(households::next_visit_due.le(day))
                .into_boxed();
            crate::scoped!(query, households, scope)
        }};
    }
    let rows = due!()
        .order((households::next_visit_due.asc(), households::id.asc()))
        .limit(limit)
        .select(HouseholdRow::as_select())
        .load(conn)?;
    let total = due!().count().get_result(conn)?;
    Ok((rows, total))
}

/// The members whose national ID or phone matches either lookup hash (a data subject).
pub fn members_of_subject(
    conn: &mut DbConnection,
    national_id_hash: Option<&str>,
    phone_hash: Option<&str>,
) -> QueryResult<Vec<MemberRow>> {
    let mut query = household_members::table.into_boxed();
    query = match (national_id_hash, phone_hash) {
        (Some(nid), Some(phone)) => query.filter(
            household_members::national_id_hash
                .eq(nid.to_owned())
                .or(household_members::phone_hash.eq(phone.to_owned())),
        ),
        (Some(nid), None) => query.filter(household_members::national_id_hash.eq(nid.to_owned())),
        (None, Some(phone)) => query.filter(household_members::phone_hash.eq(phone.to_owned())),
        (None, None) => return Ok(Vec::new()),
    };
    query
        .order((household_members::household_id, household_members::position))
        .select(MemberRow::as_select())
        .load(conn)
}

/// Erases the members' personal data (name, phone, national ID, notes). Years of birth,
/// sex and target groups stay, so every count is unchanged.
pub fn erase_members(conn: &mut DbConnection, ids: &[&MemberId]) -> QueryResult<usize> {
    diesel::update(household_members::table.filter(household_members::id.eq_any(ids)))
        .set((
            household_members::name.eq(None::<String>),
            household_members::phone_cipher.eq(None::<String>),
            household_members::phone_hash.eq(None::<String>),
            household_members::phone_last4.eq(None::<String>),
            household_members::national_id_cipher.eq(None::<String>),
            household_members::national_id_hash.eq(None::<String>),
            household_members::national_id_last4.eq(None::<String>),
            household_members::notes.eq(None::<String>),
        ))
        .execute(conn)
}

/// The households of these ids.
pub fn find_many(conn: &mut DbConnection, ids: &[&HouseholdId]) -> QueryResult<Vec<HouseholdRow>> {
    households::table
        .filter(households::id.eq_any(ids))
        .order(households::id)
        .select(HouseholdRow::as_select())
        .load(conn)
}

/// For each of `ids`, the other households within `scope` where a member has the same
/// national ID (by its lookup hash) as one of its own: possible duplicates. Removed
/// members count for neither side.
pub fn sharing_national_ids(
    conn: &mut DbConnection,
    ids: &[&HouseholdId],
    scope: &AreaScope,
) -> QueryResult<HashMap<HouseholdId, Vec<HouseholdId>>> {
    let own: Vec<(HouseholdId, Option<String>)> = household_members::table
        .filter(household_members::household_id.eq_any(ids))
        .filter(household_members::national_id_hash.is_not_null())
        .filter(household_members::removed.eq(false))
        .select((
            household_members::household_id,
            household_members::national_id_hash,
        ))
        .load(conn)?;
    let hashes: Vec<&str> = own.iter().filter_map(|(_, hash)| hash.as_deref()).collect();
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let query = household_members::table
        .inner_join(households::table)
        .into_boxed();
    let elsewhere: Vec<(HouseholdId, Option<String>)> = crate::scoped!(query, households, scope)
        .filter(household_members::national_id_hash.eq_any(&hashes))
        .filter(household_members::removed.eq(false))
        .select((
            household_members::household_id,
            household_members::national_id_hash,
        ))
        .load(conn)?;
    let mut found: HashMap<HouseholdId, Vec<HouseholdId>> = HashMap::new();
    for (household, hash) in &own {
        for (other, other_hash) in &elsewhere {
            if other != household && other_hash == hash {
                let list = found.entry(household.clone()).or_default();
                if !list.contains(other) {
                    list.push(other.clone());
                }
            }
        }
    }
    for list in found.values_mut() {
        list.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    }
    Ok(found)
}

/// The newest visits to one household that `visibility` shows, at most `limit`: the
/// rule is applied in SQL before the cut, so another author's busy week never hides the
/// reader's own visits.
pub fn visits_to(
    conn: &mut DbConnection,
    household: &HouseholdId,
    visibility: &Visibility,
    limit: i64,
) -> QueryResult<Vec<super::visits::VisitRow>> {
    use super::schema::visits;
    super::visits::visible(visibility)
        .filter(visits::household_id.eq(household))
        .order((visits::visited_at.desc(), visits::id.desc()))
        .limit(limit)
        .select(super::visits::VisitRow::as_select())
        .load(conn)
}

/// The newest grievances about one household that `visibility` shows, at most `limit`.
pub fn grievances_about(
    conn: &mut DbConnection,
    household: &HouseholdId,
    visibility: &Visibility,
    limit: i64,
) -> QueryResult<Vec<super::grievances::GrievanceRow>> {
    use super::schema::grievances;
    super::grievances::visible_to(visibility)
        .filter(grievances::household_id.eq(household))
        .order((grievances::created_at.desc(), grievances::id.desc()))
        .limit(limit)
        .select(super::grievances::GrievanceRow::as_select())
        .load(conn)
}
