//! A stored household as the API shows it: members' phones and national IDs masked to
//! their last 4 digits unless the reader may see them, the history with who did what.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::grievances::GrievanceRow;
use crate::db::households::{EventRow, HouseholdRow, MemberRow};
use crate::db::visits::VisitRow;
use crate::domain::{Activity, Category, HouseholdId, Sex, Status, TargetGroup};
use crate::placement::LocationInput;
use crate::privacy::{PiiCipher, NATIONAL_ID_STARS, PHONE_STARS};
use crate::visits::view::{Names, UserRef};

/// Years between the eras, for the Buddhist-Era year shown beside the stored one.
const BUDDHIST_ERA_OFFSET: i32 = 543;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HouseholdMember)]
pub struct MemberView {
    pub id: String,
    pub name: Option<String>,
    /// Common Era.
    #[schema(example = 1947)]
    pub birth_year: Option<i32>,
    /// The same year in the Buddhist Era, as Thai forms write it.
    #[schema(example = 2490)]
    pub birth_year_be: Option<i32>,
    pub sex: Option<Sex>,
    pub target_groups: Vec<TargetGroup>,
    /// 13 digits, or masked to its last 4 (`*********1188`).
    pub national_id: Option<String>,
    /// E.164, or masked to its last 4 digits (`******5678`).
    pub phone: Option<String>,
    pub notes: Option<String>,
}

/// One change of a household: what changed (field and member names), by whom.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HouseholdEvent)]
pub struct HouseholdEventView {
    /// The household's version this change made.
    pub version: i64,
    /// `created` or `updated`.
    #[schema(example = "updated")]
    pub action: String,
    /// The fields changed (`address`, `members[<id>].phone`, `members[<id>].removed`, ...).
    pub changes: Vec<String>,
    pub actor: UserRef,
    pub at: DateTime<Utc>,
}

/// A visit to the household, as its story lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdVisit {
    pub id: String,
    pub visited_at: DateTime<Utc>,
    pub author: UserRef,
    pub activity: Activity,
    pub summary: String,
    pub follow_up_needed: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub follow_up_by: Option<NaiveDate>,
}

/// A grievance about the household, as its story lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdGrievance {
    pub id: String,
    pub status: Status,
    pub category: Category,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// What a household's story holds beside its own row.
#[derive(Debug, Default)]
pub struct Story {
    pub members: Vec<MemberRow>,
    pub history: Vec<EventRow>,
    pub possible_duplicates: Vec<HouseholdId>,
    pub visits: Vec<VisitRow>,
    pub grievances: Vec<GrievanceRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Household)]
pub struct HouseholdView {
    pub id: String,
    pub location: LocationInput,
    pub area_code: String,
    pub address: Option<String>,
    pub consent: bool,
    /// The current members, in the order they were added.
    pub members: Vec<MemberView>,
    /// The target groups of its current members.
    pub target_groups: Vec<TargetGroup>,
    /// Goes up by one with each change; send it back in `If-Match`.
    pub version: i64,
    pub created_by: UserRef,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The latest visit's follow-up date, while it asks for one; a later visit closes it.
    #[schema(value_type = Option<String>, format = Date)]
    pub next_visit_due: Option<NaiveDate>,
    pub last_visit_at: Option<DateTime<Utc>>,
    /// The visits to it the reader may see, newest first.
    pub visits: Vec<HouseholdVisit>,
    /// The grievances about it the reader may see, newest first.
    pub grievances: Vec<HouseholdGrievance>,
    /// Whether members' phones and national IDs are masked for this reader.
    pub masked: bool,
    /// Other households the reader may see where a member has the same national ID as
    /// one of this one's: possibly the same family registered twice.
    pub possible_duplicates: Vec<String>,
    pub history: Vec<HouseholdEventView>,
}

impl MemberView {
    fn new(row: MemberRow, unmasked: bool, cipher: &PiiCipher) -> Self {
        Self {
            id: row.id.into_string(),
            name: row.name,
            birth_year: row.birth_year,
            birth_year_be: row.birth_year.map(|year| year + BUDDHIST_ERA_OFFSET),
            sex: row.sex,
            target_groups: TargetGroup::from_bits(row.target_groups),
            national_id: cipher.shown(
                row.national_id_cipher.as_deref(),
                row.national_id_last4.as_deref(),
                NATIONAL_ID_STARS,
                unmasked,
            ),
            phone: cipher.shown(
                row.phone_cipher.as_deref(),
                row.phone_last4.as_deref(),
                PHONE_STARS,
                unmasked,
            ),
            notes: row.notes,
        }
    }
}

impl HouseholdEventView {
    fn new(row: EventRow, names: &Names) -> Self {
        Self {
            version: row.version,
            action: row.action,
            changes: serde_json::from_str(&row.changes).unwrap_or_default(),
            actor: names.user(&row.actor_id),
            at: row.at.and_utc(),
        }
    }
}

impl HouseholdView {
    pub fn new(
        row: HouseholdRow,
        story: Story,
        names: &Names,
        unmasked: bool,
        cipher: &PiiCipher,
    ) -> Self {
        let Story {
            members,
            history,
            possible_duplicates,
            visits,
            grievances,
        } = story;
        Self {
            id: row.id.into_string(),
            location: LocationInput {
                lat: row.lat,
                lon: row.lon,
                accuracy_m: row.accuracy_m,
            },
            area_code: row.area_code,
            address: row.address,
            consent: row.consent,
            members: members
                .into_iter()
                .filter(|member| !member.removed)
                .map(|member| MemberView::new(member, unmasked, cipher))
                .collect(),
            target_groups: TargetGroup::from_bits(row.target_groups),
            version: row.version,
            created_by: names.user(&row.created_by),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            next_visit_due: row.next_visit_due,
            last_visit_at: row.last_visit_at.map(|at| at.and_utc()),
            visits: visits
                .into_iter()
                .map(|visit| HouseholdVisit {
                    id: visit.id.into_string(),
                    visited_at: visit.visited_at.and_utc(),
                    author: names.user(&visit.author_id),
                    activity: visit.activity,
                    summary: visit.summary,
                    follow_up_needed: visit.follow_up_needed,
                    follow_up_by: visit.follow_up_by,
                })
                .collect(),
            grievances: grievances
                .into_iter()
                .map(|grievance| HouseholdGrievance {
                    id: grievance.id.into_string(),
                    status: grievance.status,
                    category: grievance.category,
                    title: grievance.title,
                    created_at: grievance.created_at.and_utc(),
                })
                .collect(),
            masked: !unmasked,
            possible_duplicates: possible_duplicates
                .into_iter()
                .map(HouseholdId::into_string)
                .collect(),
            history: history
                .into_iter()
                .map(|event| HouseholdEventView::new(event, names))
                .collect(),
        }
    }
}
