//! The stored grievance as the API shows it. The complainant's phone and national ID are
//! decrypted only for those allowed to see them; everyone else gets the last 4 digits.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::grievances::{CommentRow, EventRow, GrievanceRow};
use crate::db::photos::PhotoRow;
use crate::domain::Category;
use crate::domain::Priority;
use crate::domain::Status;
use crate::domain::TargetGroup;
use crate::domain::{GrievanceId, UserId, VisitId};
use crate::placement::{Flag, LocationInput};
use crate::privacy::{PiiCipher, NATIONAL_ID_STARS, PHONE_STARS};
use crate::visits::view::{Names, PhotoView, UserRef};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Complainant)]
pub struct ComplainantView {
    pub name: Option<String>,
    /// E.164, or masked to its last 4 digits (`******5678`).
    pub phone: Option<String>,
    /// 13 digits, or masked to its last 4 (`*********1188`).
    pub national_id: Option<String>,
    pub consent: Option<bool>,
    /// Whether `phone` and `national_id` are masked for this reader.
    pub masked: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    pub id: String,
    /// A workflow action, or `create` for the filing itself.
    #[schema(example = "assign")]
    pub action: String,
    pub from: Option<Status>,
    pub to: Status,
    pub actor_id: String,
    /// The actor's display name (`[ไม่พบบัญชีผู้ใช้ / unknown account]` should the account
    /// no longer exist).
    pub actor_name: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl EventView {
    pub fn new(row: EventRow, names: &Names) -> Self {
        Self {
            id: row.id,
            action: row.action,
            from: row.from_status,
            to: row.to_status,
            actor_name: names.name(&row.actor_id),
            actor_id: row.actor_id.into_string(),
            note: row.note,
            at: row.at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Comment)]
pub struct CommentView {
    pub id: String,
    pub author_id: String,
    /// The author's display name (`[ไม่พบบัญชีผู้ใช้ / unknown account]` should the account
    /// no longer exist).
    pub author_name: String,
    pub body: String,
    /// Hidden from volunteers.
    pub internal: bool,
    pub created_at: DateTime<Utc>,
}

impl CommentView {
    pub fn new(row: CommentRow, names: &Names) -> Self {
        Self {
            id: row.id,
            author_name: names.name(&row.author_id),
            author_id: row.author_id.into_string(),
            body: row.body,
            internal: row.internal,
            created_at: row.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Grievance)]
pub struct GrievanceView {
    pub id: String,
    pub reported_at: DateTime<Utc>,
    pub location: LocationInput,
    pub area_code: String,
    pub declared_area_code: Option<String>,
    pub category: Category,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub target_groups: Vec<TargetGroup>,
    pub visit_id: Option<String>,
    /// The household of the register it concerns.
    pub household_id: Option<String>,
    pub complainant: Option<ComplainantView>,
    pub reporter_id: String,
    /// Who filed the grievance (the same id as `reporter_id`), by name.
    pub reporter: UserRef,
    pub status: Status,
    /// Bumped by every transition; send it back in `If-Match`.
    pub version: i64,
    pub assignee_id: Option<String>,
    /// Whom the grievance is assigned to (the same id as `assignee_id`), by name; null
    /// while unassigned.
    pub assignee: Option<UserRef>,
    pub referred_to: Option<String>,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    pub reopen_count: i64,
    /// Open grievances of the same category within 200 m, filed within 14 days of this one.
    pub possible_duplicates: Vec<String>,
    /// While `status` is `duplicate`: the grievance this one duplicates (its parent).
    pub duplicate_of: Option<String>,
    /// The parent's current status, while this one is a duplicate: its outcome is this
    /// grievance's too. Shown even to a reader who may not open the parent.
    pub parent_status: Option<Status>,
    /// The grievances marked as duplicates of this one (those the reader may see), oldest
    /// first.
    pub duplicates: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<EventView>,
    pub comments: Vec<CommentView>,
    /// Each with its EXIF flags (`photo_far_from_record`, `photo_time_mismatch`).
    pub photos: Vec<PhotoView>,
    /// How many photos the phone said it would send.
    pub photos_expected: i32,
    /// How many arrived: fewer than expected lists it under `photos_missing=true`.
    pub photos_received: i32,
    /// Set by the server, as on visits: where the point lies against the reporter's area
    /// (`near_boundary`, `area_mismatch`, ...) and what its photos' EXIF says.
    pub flags: Vec<Flag>,
}

/// Everything a view needs besides the row.
pub struct Extras {
    pub history: Vec<EventRow>,
    pub comments: Vec<CommentRow>,
    pub possible_duplicates: Vec<String>,
    /// The visible grievances marked as duplicates of this one.
    pub duplicates: Vec<String>,
    /// The parent's status, when this one is a duplicate.
    pub parent_status: Option<Status>,
    pub photos: Vec<PhotoRow>,
    /// Show the complainant's phone and national ID in full.
    pub unmasked: bool,
}

impl Extras {
    /// Everyone a view of `row` with these extras names: reporter, assignee, actors and
    /// comment authors.
    pub fn people<'a>(&'a self, row: &'a GrievanceRow) -> impl Iterator<Item = &'a UserId> {
        std::iter::once(&row.reporter_id)
            .chain(row.assignee_id.as_ref())
            .chain(self.history.iter().map(|event| &event.actor_id))
            .chain(self.comments.iter().map(|comment| &comment.author_id))
    }
}

impl GrievanceView {
    /// `names` holds the names of the people the row, its history and its comments name
    /// (see [`Extras::people`]).
    pub fn new(
        row: GrievanceRow,
        extras: Extras,
        names: &Names,
        cipher: &PiiCipher,
        now: DateTime<Utc>,
    ) -> Self {
        let status = row.status;
        let due_at = row.due_at.and_utc();
        let complainant = complainant_view(&row, extras.unmasked, cipher);
        Self {
            location: LocationInput {
                lat: row.lat,
                lon: row.lon,
                accuracy_m: row.accuracy_m,
            },
            reported_at: row.reported_at.and_utc(),
            area_code: row.area_code,
            declared_area_code: row.declared_area_code,
            category: row.category,
            priority: row.priority,
            title: row.title,
            description: row.description,
            target_groups: serde_json::from_str(&row.target_groups).unwrap_or_default(),
            visit_id: row.visit_id.map(VisitId::into_string),
            household_id: row
                .household_id
                .map(crate::domain::HouseholdId::into_string),
            complainant,
            reporter: names.user(&row.reporter_id),
            reporter_id: row.reporter_id.into_string(),
            overdue: super::sla::is_overdue(due_at, status, now),
            status,
            version: row.version,
            assignee: row.assignee_id.as_ref().map(|id| names.user(id)),
            assignee_id: row.assignee_id.map(UserId::into_string),
            referred_to: row.referred_to,
            due_at,
            reopen_count: row.reopen_count,
            possible_duplicates: extras.possible_duplicates,
            duplicate_of: row.duplicate_of.map(GrievanceId::into_string),
            parent_status: extras.parent_status,
            duplicates: extras.duplicates,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            history: extras
                .history
                .into_iter()
                .map(|event| EventView::new(event, names))
                .collect(),
            comments: extras
                .comments
                .into_iter()
                .map(|comment| CommentView::new(comment, names))
                .collect(),
            photos: extras.photos.into_iter().map(PhotoView::from).collect(),
            photos_expected: row.photos_expected,
            photos_received: row.photos_received,
            flags: Flag::split(&row.flags),
            id: row.id.into_string(),
        }
    }
}

fn complainant_view(
    row: &GrievanceRow,
    unmasked: bool,
    cipher: &PiiCipher,
) -> Option<ComplainantView> {
    let present = row.complainant_consent.is_some()
        || row.complainant_name.is_some()
        || row.phone_last4.is_some()
        || row.national_id_last4.is_some();
    if !present {
        return None;
    }
    Some(ComplainantView {
        name: row.complainant_name.clone(),
        phone: cipher.shown(
            row.phone_cipher.as_deref(),
            row.phone_last4.as_deref(),
            PHONE_STARS,
            unmasked,
        ),
        national_id: cipher.shown(
            row.national_id_cipher.as_deref(),
            row.national_id_last4.as_deref(),
            NATIONAL_ID_STARS,
            unmasked,
        ),
        consent: row.complainant_consent,
        masked: !unmasked,
    })
}

/// Whether a grievance's row holds personal data that unmasking would reveal.
pub fn has_sensitive_data(row: &GrievanceRow) -> bool {
    row.phone_cipher.is_some() || row.national_id_cipher.is_some()
}
