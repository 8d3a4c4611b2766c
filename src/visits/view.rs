//! The stored visit as the API shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Flag;
use crate::db::visits::{PhotoRow, StoredVisit, VisitRow};
use crate::domain::{Activity, ReviewStatus, TargetGroup, UserId};
use crate::placement::LocationInput;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Photo)]
pub struct PhotoView {
    pub id: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    pub bytes: i64,
}

impl From<PhotoRow> for PhotoView {
    fn from(row: PhotoRow) -> Self {
        Self {
            id: row.id.into_string(),
            sha256: row.sha256,
            content_type: row.content_type,
            bytes: row.bytes,
        }
    }
}

/// A visit: what the app sent, plus what the server decided.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Visit)]
pub struct VisitView {
    pub id: String,
    pub visited_at: DateTime<Utc>,
    pub location: LocationInput,
    /// The subdistrict the visit is filed under (declared, or derived from the point).
    #[schema(example = "500102")]
    pub area_code: String,
    /// What the app declared, when it did.
    pub declared_area_code: Option<String>,
    pub target_groups: Vec<TargetGroup>,
    pub activity: Activity,
    pub households_visited: i64,
    pub people_reached: i64,
    pub summary: String,
    pub needs: Vec<String>,
    pub follow_up_needed: bool,
    pub author_id: String,
    pub received_at: DateTime<Utc>,
    pub review_status: ReviewStatus,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When the visit last changed (filed, then reviewed): what `updated_since` compares.
    pub updated_at: DateTime<Utc>,
    pub flags: Vec<Flag>,
    pub photos: Vec<PhotoView>,
}

impl From<StoredVisit> for VisitView {
    fn from(visit: StoredVisit) -> Self {
        Self::new(visit.row, visit.photos)
    }
}

impl VisitView {
    pub fn new(row: VisitRow, photos: Vec<PhotoRow>) -> Self {
        Self {
            location: LocationInput {
                lat: row.lat,
                lon: row.lon,
                accuracy_m: row.accuracy_m,
            },
            visited_at: row.visited_at.and_utc(),
            area_code: row.area_code,
            declared_area_code: row.declared_area_code,
            target_groups: TargetGroup::from_bits(row.target_groups),
            activity: row.activity,
            households_visited: row.households_visited,
            people_reached: row.people_reached,
            summary: row.summary,
            needs: serde_json::from_str(&row.needs).unwrap_or_default(),
            follow_up_needed: row.follow_up_needed,
            author_id: row.author_id.into_string(),
            received_at: row.received_at.and_utc(),
            review_status: row.review_status,
            review_note: row.review_note,
            reviewed_by: row.reviewed_by.map(UserId::into_string),
            reviewed_at: row.reviewed_at.map(|t| t.and_utc()),
            updated_at: row.updated_at.and_utc(),
            flags: Flag::split(&row.flags),
            photos: photos.into_iter().map(PhotoView::from).collect(),
            id: row.id.into_string(),
        }
    }
}
