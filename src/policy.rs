//! Who may see and do what. Every route, export, background job (and the console and
//! sync feed to come) asks here; none decides on its own. Pure functions of the caller
//! and the record, tested from one table below.
//!
//! - A role's standing permissions: [`allows`] / [`require`].
//! - Which records a list or a read may show: [`visibility`], narrowed by an `area=`
//!   filter with [`visibility_within`]; which area a filter, report or export may ask for:
//!   [`requested_area`].
//! - Per grievance: [`may_unmask`] its complainant's data, [`may_read_internal_comments`],
//!   [`may_write_comment`], the [`actor`] the workflow judges (the workflow's own table in
//!   `grievances::workflow` says which action each actor may take), and [`may_assign_to`].
//! - Accounts: [`account_read_scope`], [`may_manage`], [`may_change_account`].
//! - The phone's sync set: [`visit_in_sync_set`], [`grievance_in_sync_set`].
//! - The register of households: [`households_scope`], [`may_read_household`], and on
//!   the phone [`household_sync_scope`], [`household_in_sync_set`].
//!
//! Staff (officials, supervisors, admins) see every record of their area. Volunteers see
//! what they filed themselves, and only while it lies in their current area: an account
//! moved to another area leaves its old records behind with the area's staff.

use crate::auth::AuthUser;
use crate::db::grievances::GrievanceRow;
use crate::db::households::HouseholdRow;
use crate::db::users::UserRow;
use crate::db::visits::VisitRow;
use crate::domain::AreaScope;
use crate::domain::{Actor, AreaCode, Labelled, Role, UserId, Visibility};
use crate::error::ApiError;

/// What a role may do whatever the record: each route that needs one names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Weekly summaries, compliance, hotspots and exports of one's area.
    ReadReports,
    /// The accounts of one's area.
    ListAccounts,
    /// Create, change and reset the accounts of roles one manages (see [`may_manage`]).
    ManageAccounts,
    /// Another account's plan and progress.
    ReadOthersPlans,
    /// Flag or clear a visit in review.
    ReviewVisits,
    /// A complainant's access request and erasure (PDPA).
    AnswerDataSubjects,
    /// The web console: its queue, cases and maps (volunteers have the phone app).
    UseConsole,
    /// Oversight of a whole area's grievances: the workload of each assignee, and acting
    /// on many grievances at once.
    OverseeGrievances,
    /// The whole audit log and the check of its chain. The log spans every area, so it is
    /// the administrators'.
    ReadAuditLog,
    /// The webhook outbox: what waits to be delivered, what fails, and retrying it now.
    WatchDeliveries,
}

impl Permission {
    /// The least senior role that holds the permission: roles rank in order.
    fn least_role(self) -> Role {
        match self {
            Self::ReadReports | Self::ListAccounts | Self::UseConsole => Role::Official,
            Self::ManageAccounts
            | Self::ReadOthersPlans
            | Self::ReviewVisits
            | Self::OverseeGrievances => Role::Supervisor,
            Self::AnswerDataSubjects | Self::ReadAuditLog | Self::WatchDeliveries => Role::Admin,
        }
    }
}

/// Whether `role` may sign in to the web console.
pub fn may_use_console(role: Role) -> bool {
    allows(role, Permission::UseConsole)
}

/// Whether `role` holds `permission`.
pub fn allows(role: Role, permission: Permission) -> bool {
    role >= permission.least_role()
}

/// 403 unless the caller holds `permission`.
pub fn require(user: &AuthUser, permission: Permission) -> Result<(), ApiError> {
    if allows(user.role, permission) {
        return Ok(());
    }
    let (who, thai) = match permission.least_role() {
        Role::Admin => ("admins", "ผู้ดูแลระบบ"),
        Role::Supervisor => ("supervisors and admins", "หัวหน้างานและผู้ดูแลระบบ"),
        Role::Official | Role::Volunteer => ("officials and above", "เจ้าหน้าที่ขึ้นไป"),
    };
    Err(ApiError::forbidden(
        format!("only {who} may do this; you are a {}", user.role.as_str()),
        format!(
            "เฉพาะ{thai}เท่านั้นที่ทำรายการนี้ได้ (ท่านเป็น{})",
            user.role.label().th
        ),
    ))
}

/// The visits and grievances `user` may see.
pub fn visibility(user: &AuthUser) -> Visibility {
    Visibility {
        scope: user.scope.clone(),
        only_owner: (!user.role.is_staff()).then(|| user.id.clone()),
    }
}

/// The households a caller reads and keeps: every one of its area, whoever registered it.
/// Unlike visits, a village's register is shared by the volunteers who visit it.
pub fn households_scope(user: &AuthUser) -> AreaScope {
    user.scope.clone()
}

/// The households a caller's phone keeps (the sync feed): its area's, when that area is a
/// subdistrict or a district (a volunteer's village, an official's district). A
/// province's or the country's register is read on demand, never carried on a phone.
pub fn household_sync_scope(user: &AuthUser) -> Option<AreaScope> {
    match households_scope(user) {
        scope @ (AreaScope::Subdistrict(_) | AreaScope::District(_)) => Some(scope),
        AreaScope::Province(_) | AreaScope::Everywhere => None,
    }
}

/// Whether the household `row` belongs on `user`'s phone.
pub fn household_in_sync_set(user: &AuthUser, row: &HouseholdRow) -> bool {
    household_sync_scope(user).is_some_and(|scope| scope.covers_code(&row.area_code))
}

/// Whether `user` may read (and so change) the household `row`.
pub fn may_read_household(user: &AuthUser, row: &HouseholdRow) -> bool {
    households_scope(user).covers_code(&row.area_code)
}

/// The area an `area=` of a list, report or export may ask for: the caller's own or one
/// inside it. Anything wider (a province official asking for the country) or elsewhere is
/// refused with 403: an answer silently narrowed to less than was asked would read as
/// the whole.
pub fn requested_area(user: &AuthUser, requested: &AreaCode) -> Result<AreaCode, ApiError> {
    if user.scope.covers_code(requested.as_str()) {
        return Ok(requested.clone());
    }
    let own = &user.area;
    Err(if AreaScope::of(requested).covers_code(own.as_str()) {
        ApiError::forbidden(
            format!(
                "{requested} is wider than your area ({own}): ask for {own} or an area inside it"
            ),
            format!(
                "พื้นที่ {requested} กว้างกว่าพื้นที่รับผิดชอบของท่าน ({own}) \
                 กรุณาระบุ {own} หรือพื้นที่ที่อยู่ภายใน"
            ),
        )
    } else {
        ApiError::forbidden(
            format!("{requested} is outside your area ({own})"),
            format!("พื้นที่ {requested} อยู่นอกพื้นที่รับผิดชอบของท่าน ({own})"),
        )
    })
}

/// What a list shows `user`, narrowed to `area` when one is asked for ([`requested_area`]).
pub fn visibility_within(user: &AuthUser, area: Option<&AreaCode>) -> Result<Visibility, ApiError> {
    let mut visibility = visibility(user);
    if let Some(area) = area {
        visibility.scope = AreaScope::of(&requested_area(user, area)?);
    }
    Ok(visibility)
}

/// Whether a visit belongs on `user`'s phone (the sync feed): one it filed, while it may
/// still read it (a volunteer moved elsewhere leaves its old visits behind).
pub fn visit_in_sync_set(user: &AuthUser, visit: &VisitRow) -> bool {
    visit.author_id == user.id && visibility(user).allows(&visit.author_id, &visit.area_code)
}

/// Whether a grievance belongs on `user`'s phone (the sync feed): one it filed or that is
/// assigned to it, while it may read it, and never once its personal data was erased
/// (PDPA): the copy on the phone must go too.
pub fn grievance_in_sync_set(user: &AuthUser, grievance: &GrievanceRow) -> bool {
    (grievance.reporter_id == user.id || grievance.assignee_id.as_ref() == Some(&user.id))
        && visibility(user).allows(&grievance.reporter_id, &grievance.area_code)
        && grievance.anonymised_at.is_none()
}

/// Whether `user` sees a grievance's complainant data (phone, national ID) in full: its
/// reporter, its assignee and supervisors of its area do. Everyone else sees it masked.
pub fn may_unmask(user: &AuthUser, grievance: &GrievanceRow) -> bool {
    grievance.reporter_id == user.id
        || grievance.assignee_id.as_ref() == Some(&user.id)
        || (user.role.is_supervisor_or_above() && user.scope.covers_code(&grievance.area_code))
}

/// The record a photo would be added to, as [`may_add_photo`] judges it.
#[derive(Debug, Clone, Copy)]
pub enum PhotoTarget<'a> {
    Visit(&'a VisitRow),
    Grievance(&'a GrievanceRow),
}

/// Who adds photos to a record the caller can see: a visit's author; a grievance's
/// reporter and its assignee (who may photograph what was done). Others only look.
pub fn may_add_photo(user: &AuthUser, target: PhotoTarget<'_>) -> bool {
    match target {
        PhotoTarget::Visit(visit) => visit.author_id == user.id,
        PhotoTarget::Grievance(grievance) => {
            grievance.reporter_id == user.id || grievance.assignee_id.as_ref() == Some(&user.id)
        }
    }
}

/// [`may_add_photo`], as the 403 that refuses it.
pub fn require_add_photo(user: &AuthUser, target: PhotoTarget<'_>) -> Result<(), ApiError> {
    if may_add_photo(user, target) {
        return Ok(());
    }
    Err(match target {
        PhotoTarget::Visit(_) => ApiError::forbidden(
            "only the visit's author may add photos",
            "เฉพาะผู้บันทึกการเยี่ยมบ้านเท่านั้นที่เพิ่มรูปภาพได้",
        ),
        PhotoTarget::Grievance(_) => ApiError::forbidden(
            "only the grievance's reporter or assignee may add photos",
            "เฉพาะผู้แจ้งหรือผู้รับผิดชอบเรื่องร้องทุกข์เท่านั้นที่เพิ่มรูปภาพได้",
        ),
    })
}

/// Internal comments are staff's notes to each other: volunteers neither read nor write them.
pub fn may_read_internal_comments(user: &AuthUser) -> bool {
    user.role.is_staff()
}

/// Anyone who may read a grievance may comment on it; internal comments are staff's.
pub fn may_write_comment(user: &AuthUser, internal: bool) -> bool {
    !internal || may_read_internal_comments(user)
}

/// The caller as the grievance workflow judges it.
pub fn actor(user: &AuthUser, grievance: &GrievanceRow) -> Actor {
    Actor {
        role: user.role,
        is_assignee: grievance.assignee_id.as_ref() == Some(&user.id),
    }
}

/// A grievance goes to an active official or supervisor whose area covers it: volunteers
/// file, admins administer, and nobody works a case outside their own area.
pub fn may_assign_to(candidate: &UserRow, grievance_area: &str) -> bool {
    candidate.active
        && matches!(candidate.role, Role::Official | Role::Supervisor)
        && AreaCode::parse(&candidate.area_code)
            .is_ok_and(|area| AreaScope::of(&area).covers_code(grievance_area))
}

/// Where `user` may look up the account `account_id`: its own anywhere, staff's inside
/// their area; volunteers see no one else (`None`).
pub fn account_read_scope(user: &AuthUser, account_id: &UserId) -> Option<AreaScope> {
    if *account_id == user.id {
        Some(AreaScope::Everywhere)
    } else if user.role.is_staff() {
        Some(user.scope.clone())
    } else {
        None
    }
}

/// Whether an account with role `actor` may create or change accounts with role `target`:
/// supervisors manage volunteers and officials (not peers, so no one grants their own
/// level); admins manage everyone. The target must also lie in the actor's area, which
/// the account's lookup through [`account_read_scope`] ensures.
pub fn may_manage(actor: Role, target: Role) -> bool {
    match actor {
        Role::Admin => true,
        Role::Supervisor => matches!(target, Role::Volunteer | Role::Official),
        Role::Volunteer | Role::Official => false,
    }
}

/// What a change to an account touches, for [`may_change_account`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// Display name and phone.
    Profile,
    /// Role, area or whether the account is active.
    Privileges,
    /// A new password set by a manager.
    Password,
}

/// Whether `user` may make `change` to the account `target_id` with role `target_role`
/// (already found inside the user's area). Managers change the accounts of roles they
/// manage. On their own account they change only the profile: nobody demotes, moves or
/// locks out themselves, and a stolen access token alone must not be enough to set a new
/// password (their own goes through `PUT /me/password` with the current one).
pub fn may_change_account(
    user: &AuthUser,
    target_id: &UserId,
    target_role: Role,
    change: AccountChange,
) -> bool {
    if !allows(user.role, Permission::ManageAccounts) {
        return false;
    }
    if *target_id == user.id {
        change == AccountChange::Profile
    } else {
        may_manage(user.role, target_role)
    }
}

/// Whether `user` may set the one-year plan of the account `target_id` with role
/// `target_role` (already found inside the user's area): one's own always; others' as
/// one would manage their account (supervisors: volunteers and officials; admins:
/// anyone).
pub fn may_set_plan(user: &AuthUser, target_id: &UserId, target_role: Role) -> bool {
    *target_id == user.id
        || (allows(user.role, Permission::ManageAccounts) && may_manage(user.role, target_role))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    /// The tests' accounts go by short names, taken as ids as they are.
    fn id(name: &str) -> UserId {
        UserId::unchecked(name.into())
    }

    fn user(role: Role, area: &str) -> AuthUser {
        let area = AreaCode::parse(area).unwrap();
        AuthUser {
            id: id("me"),
            username: "me".into(),
            display_name: "Me".into(),
            role,
            scope: AreaScope::of(&area),
            area,
            client: Default::default(),
        }
    }

    fn grievance(reporter: &str, assignee: Option<&str>, area: &str) -> GrievanceRow {
        let at = NaiveDateTime::default();
        GrievanceRow {
            id: crate::domain::GrievanceId::unchecked("g".into()),
            reporter_id: id(reporter),
            reported_at: at,
            created_at: at,
            updated_at: at,
            lat: 18.79,
            lon: 98.98,
            accuracy_m: None,
            declared_area_code: None,
            area_code: area.into(),
            province_code: area[..2].into(),
            district_code: None,
            category: crate::domain::Category::Elderly,
            priority: crate::domain::Priority::Normal,
            title: "t".into(),
            description: "d".into(),
            target_groups: "[]".into(),
            visit_id: None,
            complainant_name: None,
            complainant_consent: None,
            phone_cipher: None,
            phone_hash: None,
            phone_last4: None,
            national_id_cipher: None,
            national_id_hash: None,
            national_id_last4: None,
            status: crate::domain::Status::Assigned,
            version: 1,
            assignee_id: assignee.map(id),
            referred_to: None,
            due_at: at,
            resolved_at: None,
            reopen_count: 0,
            overdue_notified: false,
            content_hash: String::new(),
            anonymised_at: None,
            duplicate_of: None,
            photos_expected: 0,
            photos_received: 0,
            flags: String::new(),
            household_id: None,
        }
    }

    fn account(role: Role, area: &str, active: bool) -> UserRow {
        let at = NaiveDateTime::default();
        UserRow {
            id: id("them"),
            username: "them".into(),
            username_key: "them".into(),
            display_name: "them".into(),
            role,
            area_code: area.into(),
            province_code: None,
            district_code: None,
            phone: None,
            password_hash: String::new(),
            active,
            token_version: 0,
            created_at: at,
            updated_at: at,
            password_change_required: false,
        }
    }

    use Role::{Admin, Official, Supervisor, Volunteer};

    #[test]
    fn plans_are_set_by_oneself_and_by_those_who_manage_the_account() {
        let cases = [
            (Volunteer, Volunteer, false),
            (Official, Volunteer, false),
            (Supervisor, Volunteer, true),
            (Supervisor, Official, true),
            (Supervisor, Supervisor, false),
            (Admin, Supervisor, true),
            (Admin, Admin, true),
        ];
        for (actor, target, expected) in cases {
            let me = user(actor, "50");
            assert_eq!(
                may_set_plan(&me, &id("them"), target),
                expected,
                "{actor:?} setting a {target:?}'s plan"
            );
            assert!(
                may_set_plan(&me, &me.id, actor),
                "{actor:?} setting its own"
            );
        }
    }

    #[test]
    fn standing_permissions_by_role() {
        use Permission::*;
        // (permission, [volunteer, official, supervisor, admin])
        let table = [
            (ReadReports, [false, true, true, true]),
            (ListAccounts, [false, true, true, true]),
            (ManageAccounts, [false, false, true, true]),
            (ReadOthersPlans, [false, false, true, true]),
            (ReviewVisits, [false, false, true, true]),
            (AnswerDataSubjects, [false, false, false, true]),
            (UseConsole, [false, true, true, true]),
            (OverseeGrievances, [false, false, true, true]),
            (ReadAuditLog, [false, false, false, true]),
            (WatchDeliveries, [false, false, false, true]),
        ];
        for (permission, row) in table {
            for (role, expected) in Role::ALL.into_iter().zip(row) {
                assert_eq!(allows(role, permission), expected, "{role} {permission:?}");
                assert_eq!(require(&user(role, "50"), permission).is_ok(), expected);
            }
        }
        let refusal = require(&user(Official, "50"), AnswerDataSubjects).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "forbidden: only admins may do this; you are a official"
        );
    }

    #[test]
    fn who_reads_which_record() {
        // (caller's role, caller's area, record's author, record's area, visible)
        let table = [
            (Volunteer, "500108", "me", "500108", true),
            (Volunteer, "500108", "other", "500108", false),
            // Moved away: its own old record stays behind.
            (Volunteer, "400101", "me", "500108", false),
            (Official, "50", "other", "500108", true),
            (Official, "40", "other", "500108", false),
            (Supervisor, "5001", "other", "500108", true),
            (Supervisor, "5002", "me", "500108", false),
            (Admin, "TH", "other", "960101", true),
        ];
        for (role, area, author, record_area, expected) in table {
            let caller = user(role, area);
            let context = format!("{role:?} in {area} reading {author}'s record in {record_area}");
            assert_eq!(
                visibility(&caller).allows(&id(author), record_area),
                expected,
                "{context}"
            );
        }
    }

    #[test]
    fn who_sees_a_complainants_data_and_internal_comments() {
        // (caller's role, caller's area, reporter, assignee, grievance's area,
        //  unmasks, reads internal comments, writes internal comments)
        let table = [
            (
                Volunteer, "500108", "me", None, "500108", true, false, false,
            ),
            (
                Volunteer, "500108", "other", None, "500108", false, false, false,
            ),
            (
                Volunteer,
                "500108",
                "other",
                Some("me"),
                "500108",
                true,
                false,
                false,
            ),
            (Official, "50", "other", None, "500108", false, true, true),
            (
                Official,
                "50",
                "other",
                Some("me"),
                "500108",
                true,
                true,
                true,
            ),
            (Supervisor, "50", "other", None, "500108", true, true, true),
            (Supervisor, "40", "other", None, "500108", false, true, true),
            (Admin, "TH", "other", None, "500108", true, true, true),
        ];
        for (role, area, reporter, assignee, at, unmasks, reads, writes) in table {
            let caller = user(role, area);
            let row = grievance(reporter, assignee, at);
            let context = format!("{role:?} in {area}, reporter {reporter}, assignee {assignee:?}");
            assert_eq!(may_unmask(&caller, &row), unmasks, "{context}");
            assert_eq!(may_read_internal_comments(&caller), reads, "{context}");
            assert_eq!(may_write_comment(&caller, true), writes, "{context}");
            assert!(may_write_comment(&caller, false), "{context}");
            assert_eq!(
                actor(&caller, &row).is_assignee,
                assignee == Some("me"),
                "{context}"
            );
        }
    }

    #[test]
    fn what_belongs_on_a_phone() {
        // (caller's role, caller's area, reporter, assignee, record's area, erased,
        //  grievance in the set, visit by the same author in the set)
        let table = [
            (Volunteer, "500108", "me", None, "500108", false, true, true),
            // Moved away: its old records leave its phone.
            (
                Volunteer, "400101", "me", None, "500108", false, false, false,
            ),
            (
                Volunteer, "500108", "other", None, "500108", false, false, false,
            ),
            (
                Official,
                "50",
                "other",
                Some("me"),
                "500108",
                false,
                true,
                false,
            ),
            // Reassigned to someone else: readable, but no longer its own.
            (
                Official,
                "50",
                "other",
                Some("x"),
                "500108",
                false,
                false,
                false,
            ),
            // Assigned, then moved out of the grievance's area.
            (
                Official,
                "40",
                "other",
                Some("me"),
                "500108",
                false,
                false,
                false,
            ),
            (Supervisor, "50", "me", None, "500108", false, true, true),
            // Erased under PDPA: gone from every phone.
            (Volunteer, "500108", "me", None, "500108", true, false, true),
            (
                Official,
                "50",
                "other",
                Some("me"),
                "500108",
                true,
                false,
                false,
            ),
        ];
        for (role, area, reporter, assignee, at, erased, grievance_in, visit_in) in table {
            let caller = user(role, area);
            let mut row = grievance(reporter, assignee, at);
            if erased {
                row.anonymised_at = Some(NaiveDateTime::default());
            }
            let context = format!(
                "{role:?} in {area}, reporter {reporter}, assignee {assignee:?}, erased {erased}"
            );
            assert_eq!(
                grievance_in_sync_set(&caller, &row),
                grievance_in,
                "{context}"
            );
            let mut visit = visit(reporter, at);
            visit.author_id = id(reporter);
            assert_eq!(visit_in_sync_set(&caller, &visit), visit_in, "{context}");
        }
    }

    fn visit(author: &str, area: &str) -> VisitRow {
        let at = NaiveDateTime::default();
        VisitRow {
            id: crate::domain::VisitId::unchecked("v".into()),
            author_id: id(author),
            visited_at: at,
            received_at: at,
            lat: 18.79,
            lon: 98.98,
            accuracy_m: None,
            declared_area_code: None,
            area_code: area.into(),
            province_code: area[..2].into(),
            district_code: None,
            activity: crate::domain::Activity::HomeVisit,
            households_visited: 1,
            people_reached: 1,
            summary: "s".into(),
            needs: "[]".into(),
            follow_up_needed: false,
            flags: String::new(),
            review_status: crate::domain::ReviewStatus::Pending,
            review_note: None,
            reviewed_by: None,
            reviewed_at: None,
            content_hash: String::new(),
            visited_on: String::new(),
            target_groups: 0,
            updated_at: at,
            photos_expected: 0,
            photos_received: 0,
            household_id: None,
            follow_up_by: None,
        }
    }

    #[test]
    fn who_may_be_assigned_a_grievance() {
        // (candidate's role, area, active, grievance's area, eligible)
        let table = [
            (Official, "5001", true, "500108", true),
            (Supervisor, "50", true, "500108", true),
            (Official, "5001", false, "500108", false),
            (Official, "5002", true, "500108", false),
            (Volunteer, "500108", true, "500108", false),
            (Admin, "TH", true, "500108", false),
        ];
        for (role, area, active, at, expected) in table {
            assert_eq!(
                may_assign_to(&account(role, area, active), at),
                expected,
                "{role} in {area}, active {active}, grievance in {at}"
            );
        }
    }

    #[test]
    fn which_area_a_filter_report_or_export_may_ask_for() {
        // (caller's role, caller's area, area asked for, answer: the area, or why not)
        let table = [
            (Official, "50", "5001", Ok("5001")),
            (Official, "50", "50", Ok("50")),
            (Official, "50", "500108", Ok("500108")),
            (Official, "50", "TH", Err("wider")),
            (Official, "5001", "50", Err("wider")),
            (Official, "50", "40", Err("outside")),
            (Official, "5001", "5002", Err("outside")),
            (Supervisor, "5001", "500108", Ok("500108")),
            (Supervisor, "500108", "5001", Err("wider")),
            (Supervisor, "5001", "500201", Err("outside")),
            (Volunteer, "500108", "500108", Ok("500108")),
            (Volunteer, "500108", "TH", Err("wider")),
            (Admin, "TH", "TH", Ok("TH")),
            (Admin, "TH", "96", Ok("96")),
        ];
        for (role, area, asked, expected) in table {
            let caller = user(role, area);
            let asked = AreaCode::parse(asked).unwrap();
            let context = format!("{role} in {area} asking for {asked}");
            match (requested_area(&caller, &asked), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got.as_str(), want, "{context}"),
                (Err(error), Err(why)) => {
                    assert_eq!(error.code(), "forbidden", "{context}");
                    assert!(error.to_string().contains(why), "{context}: {error}");
                }
                (got, want) => panic!("{context}: got {got:?}, wanted {want:?}"),
            }
            // A list narrowed to it keeps the caller's own limits and adds the area's.
            let narrowed = visibility_within(&caller, Some(&asked));
            assert_eq!(narrowed.is_ok(), expected.is_ok(), "{context}");
            if let Ok(narrowed) = narrowed {
                assert_eq!(narrowed.scope, AreaScope::of(&asked), "{context}");
                assert_eq!(narrowed.only_owner, visibility(&caller).only_owner);
            }
        }
        assert_eq!(
            visibility_within(&user(Official, "50"), None).unwrap(),
            visibility(&user(Official, "50"))
        );
    }

    #[test]
    fn who_reads_and_manages_which_account() {
        assert_eq!(
            account_read_scope(&user(Volunteer, "500108"), &id("me")),
            Some(AreaScope::Everywhere)
        );
        assert_eq!(
            account_read_scope(&user(Volunteer, "500108"), &id("them")),
            None
        );
        assert_eq!(
            account_read_scope(&user(Official, "50"), &id("them")),
            Some(AreaScope::Province("50".into()))
        );
        // (actor, [volunteer, official, supervisor, admin] it may manage)
        let table = [
            (Volunteer, [false, false, false, false]),
            (Official, [false, false, false, false]),
            (Supervisor, [true, true, false, false]),
            (Admin, [true, true, true, true]),
        ];
        for (actor, row) in table {
            for (target, expected) in Role::ALL.into_iter().zip(row) {
                assert_eq!(may_manage(actor, target), expected, "{actor} -> {target}");
            }
        }
        use AccountChange::{Password, Privileges, Profile};
        // (caller, target, target's role, change, allowed)
        let table = [
            (Supervisor, "them", Official, Privileges, true),
            (Supervisor, "them", Official, Password, true),
            (Supervisor, "them", Supervisor, Profile, false),
            (Official, "them", Volunteer, Profile, false),
            (Supervisor, "me", Supervisor, Profile, true),
            (Supervisor, "me", Supervisor, Privileges, false),
            (Admin, "me", Admin, Password, false),
            (Admin, "them", Admin, Privileges, true),
            (Volunteer, "me", Volunteer, Profile, false),
        ];
        for (role, target, target_role, change, expected) in table {
            assert_eq!(
                may_change_account(&user(role, "50"), &id(target), target_role, change),
                expected,
                "{role} changing {target} ({target_role}): {change:?}"
            );
        }
    }
}
