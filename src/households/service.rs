//! The register's use cases: file a household, read one, change one under optimistic
//! concurrency, list an area's. Each runs on the caller's connection inside the caller's
//! transaction, asks the policy, and writes the record with its history event and audit
//! entry together.

use std::collections::HashMap;

use super::input::{
    parse_address, parse_members, HouseholdPatch, MemberInput, NewHousehold, NewMember, MAX_MEMBERS,
};
use super::view::{HouseholdView, Story};
use crate::auth::AuthUser;
use crate::db::households::{self as store, EventRow, HouseholdRow, MemberRow};
use crate::db::{DbConnection, Filed};
use crate::domain::{AreaScope, HouseholdId, MemberId, Message, TargetGroup, Visibility};
use crate::error::{ApiError, ConflictCode, FieldError};
use crate::geo::Geography;
use crate::placement::Placement;
use crate::policy;
use crate::privacy::PiiCipher;
use crate::visits::view::Names;

/// Whose eyes a view is made for: the households it may point at (possible duplicates)
/// and the visits and grievances of the household's story it may list.
pub struct Reader {
    pub households: AreaScope,
    pub records: Visibility,
}

impl Reader {
    pub fn of(user: &AuthUser) -> Self {
        Self {
            households: policy::households_scope(user),
            records: policy::visibility(user),
        }
    }

    /// The data protection officer answering a subject: everything.
    pub fn everything() -> Self {
        Self {
            households: AreaScope::Everywhere,
            records: Visibility {
                scope: AreaScope::Everywhere,
                only_owner: None,
            },
        }
    }
}

/// Visits and grievances listed in one household's story at most.
const STORY_LENGTH: i64 = 50;

/// Full views of `rows` for `reader`: members, history, possible duplicates and the
/// visits and grievances of each household's story, read together.
pub fn views(
    conn: &mut DbConnection,
    rows: Vec<HouseholdRow>,
    reader: &Reader,
    unmasked: bool,
    cipher: &PiiCipher,
) -> Result<Vec<HouseholdView>, ApiError> {
    let ids: Vec<&HouseholdId> = rows.iter().map(|r| &r.id).collect();
    let mut members = store::members_of(conn, &ids)?;
    let mut events = store::events_of(conn, &ids)?;
    let mut duplicates = store::sharing_national_ids(conn, &ids, &reader.households)?;
    // Each household's story is read on its own: one cut per household, so a busy
    // household never takes another's share. Both engines answer each from
    // `visits_by_household` / `grievances_by_household`.
    let mut visits = HashMap::new();
    let mut grievances = HashMap::new();
    for &id in &ids {
        visits.insert(
            id.clone(),
            store::visits_to(conn, id, &reader.records, STORY_LENGTH)?,
        );
        grievances.insert(
            id.clone(),
            store::grievances_about(conn, id, &reader.records, STORY_LENGTH)?,
        );
    }
    let names = Names::load(
        conn,
        rows.iter()
            .map(|r| &r.created_by)
            .chain(
                events
                    .values()
                    .flat_map(|history| history.iter().map(|e| &e.actor_id)),
            )
            .chain(
                visits
                    .values()
                    .flat_map(|story| story.iter().map(|v| &v.author_id)),
            ),
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let story = Story {
                members: members.remove(&row.id).unwrap_or_default(),
                history: events.remove(&row.id).unwrap_or_default(),
                possible_duplicates: duplicates.remove(&row.id).unwrap_or_default(),
                visits: visits.remove(&row.id).unwrap_or_default(),
                grievances: grievances.remove(&row.id).unwrap_or_default(),
            };
            HouseholdView::new(row, story, &names, unmasked, cipher)
        })
        .collect())
}

fn one_view(
    conn: &mut DbConnection,
    user: &AuthUser,
    row: HouseholdRow,
    unmasked: bool,
    cipher: &PiiCipher,
) -> Result<HouseholdView, ApiError> {
    views(conn, vec![row], &Reader::of(user), unmasked, cipher)?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a household has no view")))
}

fn member_row(member: &NewMember, household: &HouseholdId, position: i64) -> MemberRow {
    let sealed = |value: &Option<crate::privacy::ProtectedValue>| {
        (
            value.as_ref().map(|v| v.ciphertext.clone()),
            value.as_ref().map(|v| v.lookup_hash.clone()),
            value.as_ref().map(|v| v.last4.clone()),
        )
    };
    let (phone_cipher, phone_hash, phone_last4) = sealed(&member.phone);
    let (national_id_cipher, national_id_hash, national_id_last4) = sealed(&member.national_id);
    MemberRow {
        id: member.id.clone(),
        household_id: household.clone(),
        position,
        name: member.name.clone(),
        birth_year: member.birth_year.map(|year| year.common_era()),
        sex: member.sex,
        target_groups: TargetGroup::bits_of(&member.target_groups),
        phone_cipher,
        phone_hash,
        phone_last4,
        national_id_cipher,
        national_id_hash,
        national_id_last4,
        notes: member.notes.clone(),
        removed: member.removed,
    }
}

/// The target groups of the members still in the household.
fn groups_of<'a>(members: impl IntoIterator<Item = &'a MemberRow>) -> i64 {
    members
        .into_iter()
        .filter(|m| !m.removed)
        .fold(0, |bits, m| bits | m.target_groups)
}

fn event(household: &HouseholdRow, action: &str, changes: &[String], actor: &AuthUser) -> EventRow {
    EventRow {
        id: uuid::Uuid::new_v4().to_string(),
        household_id: household.id.clone(),
        version: household.version,
        action: action.to_owned(),
        changes: serde_json::to_string(changes).unwrap_or_else(|_| "[]".into()),
        actor_id: actor.id.clone(),
        at: household.updated_at,
    }
}

/// The answer to a filing: whether it created the household, and what is stored.
pub struct Filing {
    pub created: bool,
    pub view: HouseholdView,
}

/// Files a household. Sending the same one again answers what is stored; the same id
/// with other content is a conflict. The filer reads back what it sent unmasked.
pub fn file(
    conn: &mut DbConnection,
    user: &AuthUser,
    household: NewHousehold,
    cipher: &PiiCipher,
) -> Result<Filing, ApiError> {
    let now = crate::db::now();
    let placement = household.placement;
    let mut row = HouseholdRow {
        id: household.id.clone(),
        created_by: user.id.clone(),
        created_at: now,
        updated_at: now,
        lat: placement.lat,
        lon: placement.lon,
        accuracy_m: placement.accuracy_m,
        area_code: placement.area_code,
        province_code: placement.province_code,
        district_code: placement.district_code,
        address: household.address,
        consent: household.consent,
        target_groups: 0,
        version: 1,
        content_hash: household.content_hash,
        last_visit_at: None,
        next_visit_due: None,
    };
    let members: Vec<MemberRow> = household
        .members
        .iter()
        .enumerate()
        .map(|(position, member)| member_row(member, &row.id, position as i64))
        .collect();
    row.target_groups = groups_of(&members);
    let changes = vec![format!("members: {}", members.len())];
    let first = event(&row, "created", &changes, user);
    let id = row.id.clone();
    let (created, row) = match store::file(conn, row, &members, &first)? {
        Filed::Created(row) => {
            user.audit(
                conn,
                "household.created",
                "household",
                Some(id.as_str()),
                serde_json::json!({"area_code": row.area_code, "members": members.len()}),
            )?;
            (true, *row)
        }
        Filed::Replayed(row) => (false, *row),
        Filed::Conflict => {
            return Err(ApiError::conflict(
                ConflictCode::IdConflict,
                format!("household {id} already exists with different content"),
                format!("มีครัวเรือนรหัส {id} ที่มีข้อมูลต่างกันอยู่แล้ว"),
            ))
        }
    };
    let view = one_view(conn, user, row, true, cipher)?;
    Ok(Filing { created, view })
}

/// A household the caller may see; 404 otherwise, never saying it exists.
fn find_visible(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
) -> Result<HouseholdRow, ApiError> {
    let id = HouseholdId::parse(id).map_err(|_| ApiError::NotFound)?;
    store::find(conn, &id)?
        .filter(|row| policy::may_read_household(user, row))
        .ok_or(ApiError::NotFound)
}

/// A visit or grievance may name only a household its filer may read: anything else is a
/// 422 on `household_id`, never saying whether it exists.
pub fn check_reference(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &HouseholdId,
) -> Result<(), ApiError> {
    match store::find(conn, id)? {
        Some(row) if policy::may_read_household(user, &row) => Ok(()),
        _ => Err(ApiError::field(
            "household_id",
            crate::domain::FieldCode::NotFoundReference,
            "names no household you can see",
            "ไม่พบครัวเรือนที่อ้างถึง หรือท่านไม่มีสิทธิ์เข้าถึง",
        )),
    }
}

/// One household, members' numbers masked.
pub fn read(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    cipher: &PiiCipher,
) -> Result<HouseholdView, ApiError> {
    let row = find_visible(conn, user, id)?;
    one_view(conn, user, row, false, cipher)
}

/// A change to a household and who asks for it.
pub struct ChangeRequest {
    pub id: String,
    /// The version the client last read (`If-Match`); `None`: any.
    pub expected_version: Option<i64>,
    pub patch: HouseholdPatch,
}

/// Changes a household: 412 when it changed since the client read `expected_version`.
/// The history records which fields and members changed.
pub fn change(
    conn: &mut DbConnection,
    user: &AuthUser,
    request: ChangeRequest,
    geography: &Geography,
    cipher: &PiiCipher,
) -> Result<HouseholdView, ApiError> {
    let stored = find_visible(conn, user, &request.id)?;
    if request
        .expected_version
        .is_some_and(|expected| expected != stored.version)
    {
        return Err(stale(&stored));
    }
    let patch = request.patch;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut row = stored.clone();
    let mut changes: Vec<String> = Vec::new();

    if patch.location.is_some() || patch.area_code.is_some() {
        let location = patch
            .location
            .clone()
            .unwrap_or(crate::placement::LocationInput {
                lat: stored.lat,
                lon: stored.lon,
                accuracy_m: stored.accuracy_m,
            });
        // A new point without an area is placed afresh: a family that moved is found
        // where it lives now. Only the area, with the point kept, is checked against it.
        let declared = match (&patch.area_code, &patch.location) {
            (Some(area), _) => Some(area.as_str()),
            (None, Some(_)) => None,
            (None, None) => Some(stored.area_code.as_str()),
        };
        if let Some(placement) =
            Placement::resolve(&location, declared, user, geography, &mut errors)
        {
            if (placement.lat, placement.lon, placement.accuracy_m)
                != (stored.lat, stored.lon, stored.accuracy_m)
            {
                changes.push("location".into());
            }
            if placement.area_code != stored.area_code {
                changes.push("area_code".into());
            }
            row.lat = placement.lat;
            row.lon = placement.lon;
            row.accuracy_m = placement.accuracy_m;
            row.area_code = placement.area_code;
            row.province_code = placement.province_code;
            row.district_code = placement.district_code;
        }
    }
    if patch.address.is_some() {
        let address = parse_address(&patch.address, &mut errors);
        if address != stored.address {
            changes.push("address".into());
        }
        row.address = address;
    }
    if let Some(consent) = patch.consent {
        if consent != stored.consent {
            changes.push("consent".into());
        }
        row.consent = consent;
    }

    let mut members: Vec<MemberRow> = store::members_of(conn, &[&stored.id])?
        .remove(&stored.id)
        .unwrap_or_default();
    let known: HashMap<MemberId, usize> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let mut written: Vec<(MemberRow, bool)> = Vec::new();
    if let Some(inputs) = &patch.members {
        let parsed = parse_members(inputs, row.consent, cipher, &mut errors);
        let mut next_position = members.iter().map(|m| m.position + 1).max().unwrap_or(0);
        // Each input beside its parsed member (they line up when nothing was refused).
        for (input, member) in inputs.iter().zip(parsed) {
            match known.get(&member.id) {
                Some(&at) => {
                    let old = &members[at];
                    let new = merged(old, input, &member_row(&member, &stored.id, old.position));
                    let what = member_changes(old, &new);
                    if !what.is_empty() {
                        changes.extend(
                            what.iter()
                                .map(|field| format!("members[{}].{field}", new.id.as_str())),
                        );
                        members[at] = new.clone();
                        written.retain(|(w, _)| w.id != new.id);
                        written.push((new, true));
                    }
                }
                None => {
                    let new = member_row(&member, &stored.id, next_position);
                    next_position += 1;
                    changes.push(format!("members[{}].added", new.id.as_str()));
                    members.push(new.clone());
                    written.push((new, false));
                }
            }
        }
    }
    // Consent withdrawn: no member's name, phone or national ID may stay.
    if !row.consent {
        for (at, member) in members.iter_mut().enumerate() {
            if has_personal_data(member) {
                strip_personal_data(member);
                changes.push(format!(
                    "members[{}].personal_data_removed",
                    member.id.as_str()
                ));
                written.retain(|(w, _)| w.id != member.id);
                written.push((member.clone(), at < known.len()));
            }
        }
    }
    if members.iter().filter(|m| !m.removed).count() > MAX_MEMBERS {
        errors.push(FieldError::new(
            "members",
            crate::domain::FieldCode::TooMany,
            format!("a household has at most {MAX_MEMBERS} members"),
            format!("ครัวเรือนหนึ่งมีสมาชิกได้ไม่เกิน {MAX_MEMBERS} คน"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if changes.is_empty() {
        return one_view(conn, user, stored, false, cipher);
    }
    row.target_groups = groups_of(&members);
    row.version = stored.version + 1;
    row.updated_at = crate::db::now();
    if !store::update(conn, &row, stored.version)? {
        return Err(stale(&stored));
    }
    for (member, known) in &written {
        store::put_member(conn, member, *known)?;
    }
    store::record_event(conn, &event(&row, "updated", &changes, user))?;
    user.audit(
        conn,
        "household.updated",
        "household",
        Some(row.id.as_str()),
        serde_json::json!({"version": row.version, "changes": changes}),
    )?;
    one_view(conn, user, row, false, cipher)
}

fn stale(stored: &HouseholdRow) -> ApiError {
    ApiError::VersionMismatch(Message::new(
        format!(
            "the household changed since it was read (now version {}); read it again",
            stored.version
        ),
        format!(
            "ข้อมูลครัวเรือนถูกแก้ไขแล้ว (ฉบับที่ {}) กรุณาโหลดข้อมูลใหม่",
            stored.version
        ),
    ))
}

/// A known member with the fields `input` gives taken from `given` (the same input
/// parsed and sealed), the others kept.
fn merged(old: &MemberRow, input: &MemberInput, given: &MemberRow) -> MemberRow {
    let mut member = old.clone();
    if input.name.is_some() {
        member.name = given.name.clone();
    }
    if input.birth_year.is_some() {
        member.birth_year = given.birth_year;
    }
    if input.sex.is_some() {
        member.sex = given.sex;
    }
    if input.target_groups.is_some() {
        member.target_groups = given.target_groups;
    }
    if input.phone.is_some() {
        member.phone_cipher = given.phone_cipher.clone();
        member.phone_hash = given.phone_hash.clone();
        member.phone_last4 = given.phone_last4.clone();
    }
    if input.national_id.is_some() {
        member.national_id_cipher = given.national_id_cipher.clone();
        member.national_id_hash = given.national_id_hash.clone();
        member.national_id_last4 = given.national_id_last4.clone();
    }
    if input.notes.is_some() {
        member.notes = given.notes.clone();
    }
    if let Some(removed) = input.removed {
        member.removed = removed;
    }
    member
}

fn has_personal_data(member: &MemberRow) -> bool {
    member.name.is_some() || member.phone_cipher.is_some() || member.national_id_cipher.is_some()
}

fn strip_personal_data(member: &mut MemberRow) {
    member.name = None;
    member.phone_cipher = None;
    member.phone_hash = None;
    member.phone_last4 = None;
    member.national_id_cipher = None;
    member.national_id_hash = None;
    member.national_id_last4 = None;
}

/// The names of a member's fields that differ (personal data compared by its lookup hash
/// or masked digits, never shown).
fn member_changes(old: &MemberRow, new: &MemberRow) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if old.name != new.name {
        changed.push("name");
    }
    if old.birth_year != new.birth_year {
        changed.push("birth_year");
    }
    if old.sex != new.sex {
        changed.push("sex");
    }
    if old.target_groups != new.target_groups {
        changed.push("target_groups");
    }
    if old.phone_hash != new.phone_hash {
        changed.push("phone");
    }
    if old.national_id_hash != new.national_id_hash {
        changed.push("national_id");
    }
    if old.notes != new.notes {
        changed.push("notes");
    }
    if old.removed != new.removed {
        changed.push(if new.removed { "removed" } else { "restored" });
    }
    changed
}

/// The households a data subject (by the lookup hashes of their national ID or phone) is
/// a member of, unmasked: for a PDPA access request.
pub fn of_subject(
    conn: &mut DbConnection,
    national_id_hash: Option<&str>,
    phone_hash: Option<&str>,
    cipher: &PiiCipher,
) -> Result<Vec<HouseholdView>, ApiError> {
    let members = store::members_of_subject(conn, national_id_hash, phone_hash)?;
    let mut ids: Vec<&HouseholdId> = members.iter().map(|m| &m.household_id).collect();
    ids.dedup();
    let rows = store::find_many(conn, &ids)?;
    views(conn, rows, &Reader::everything(), true, cipher)
}

/// Erases a data subject from the register (a PDPA erasure): each matching member's name,
/// numbers and notes, and their household's address, which points at their home. The
/// household's history records it (as an erasure, with no value). Answers the members
/// erased.
pub fn erase_subject(
    conn: &mut DbConnection,
    user: &AuthUser,
    national_id_hash: Option<&str>,
    phone_hash: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let members = store::members_of_subject(conn, national_id_hash, phone_hash)?;
    let ids: Vec<&MemberId> = members.iter().map(|m| &m.id).collect();
    store::erase_members(conn, &ids)?;
    let mut households: Vec<&HouseholdId> = members.iter().map(|m| &m.household_id).collect();
    households.dedup();
    let now = crate::db::now();
    for mut row in store::find_many(conn, &households)? {
        let expected = row.version;
        let mut changes: Vec<String> = members
            .iter()
            .filter(|m| m.household_id == row.id)
            .map(|m| format!("members[{}].personal_data_removed", m.id.as_str()))
            .collect();
        if row.address.take().is_some() {
            changes.push("address".into());
        }
        row.version += 1;
        row.updated_at = now;
        store::update(conn, &row, expected)?;
        store::record_event(conn, &event(&row, "erased", &changes, user))?;
    }
    Ok(members.into_iter().map(|m| m.id.into_string()).collect())
}
