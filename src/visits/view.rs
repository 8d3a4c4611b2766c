//! The stored visit as the API shows it, and the people named in views (grievances,
//! which sit above visits, name theirs the same way).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Flag;
use crate::db::photos::PhotoRow;
use crate::db::visits::{self as store, StoredVisit, VisitRow};
use crate::db::{users, DbConnection, ReadOnly};
use crate::domain::{Activity, GeoPoint, ReviewStatus, TargetGroup, UserId};
use crate::placement::LocationInput;

/// What a view shows for an account it cannot find. Accounts are deactivated, never
/// deleted (every record keeps a foreign key to its people), so this only guards a
/// view from breaking should one ever go.
pub const UNKNOWN_ACCOUNT: &str = "[ไม่พบบัญชีผู้ใช้ / unknown account]";

/// A person a record names, with the name people read. A deactivated account keeps
/// its name: the record still says who did the work. Should the account no longer
/// exist, `display_name` is `[ไม่พบบัญชีผู้ใช้ / unknown account]`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    #[schema(example = "สมชาย ใจดี")]
    pub display_name: String,
}

/// The display names of the accounts a set of views names, read together.
#[derive(Debug, Default)]
pub struct Names(HashMap<UserId, String>);

impl Names {
    /// One statement for all of `ids` (none when there are none).
    pub fn load<'a>(
        conn: &mut DbConnection,
        ids: impl IntoIterator<Item = &'a UserId>,
    ) -> diesel::QueryResult<Self> {
        users::display_names(conn, ids).map(Self)
    }

    /// Names already known, such as the caller's own.
    pub fn of(known: impl IntoIterator<Item = (UserId, String)>) -> Self {
        Self(known.into_iter().collect())
    }

    pub fn name(&self, id: &UserId) -> String {
        self.0
            .get(id)
            .map_or_else(|| UNKNOWN_ACCOUNT.to_owned(), Clone::clone)
    }

    pub fn user(&self, id: &UserId) -> UserRef {
        UserRef {
            id: id.to_string(),
            display_name: self.name(id),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Photo)]
pub struct PhotoView {
    pub id: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    pub bytes: i64,
    /// When the photo was taken, from its EXIF (a time without a zone is Bangkok's).
    pub taken_at: Option<DateTime<Utc>>,
    /// Where it was taken, from its EXIF GPS position.
    pub taken_location: Option<GeoPoint>,
    /// `photo_far_from_record` (over 1 km from the record's point) and
    /// `photo_time_mismatch` (over 24 h from its time); none without EXIF.
    pub flags: Vec<Flag>,
}

impl From<PhotoRow> for PhotoView {
    fn from(row: PhotoRow) -> Self {
        Self {
            id: row.id.into_string(),
            sha256: row.sha256,
            content_type: row.content_type,
            bytes: row.bytes,
            taken_at: row.taken_at.map(|at| at.and_utc()),
            taken_location: row
                .taken_lat
                .zip(row.taken_lon)
                .map(|(lat, lon)| GeoPoint { lat, lon }),
            flags: Flag::split(&row.flags),
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
    /// With `follow_up_needed`: the day to go back by.
    #[schema(value_type = Option<String>, format = Date)]
    pub follow_up_by: Option<chrono::NaiveDate>,
    /// The household of the register visited.
    pub household_id: Option<String>,
    pub author_id: String,
    /// Who filed the visit (the same id as `author_id`), by name.
    pub author: UserRef,
    pub received_at: DateTime<Utc>,
    pub review_status: ReviewStatus,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When the visit last changed (filed, then reviewed): what `updated_since` compares.
    pub updated_at: DateTime<Utc>,
    pub flags: Vec<Flag>,
    pub photos: Vec<PhotoView>,
    /// How many photos the phone said it would send.
    pub photos_expected: i32,
    /// How many arrived: fewer than expected lists the visit under `photos_missing=true`.
    pub photos_received: i32,
}

impl VisitView {
    /// A visit read with its author's name in the same statement
    /// (`db::visits::find_visible_with_photos`).
    pub fn read_with_author((visit, author_name): (StoredVisit, Option<String>)) -> Self {
        let names = Names::of(author_name.map(|name| (visit.row.author_id.clone(), name)));
        Self::new(visit, &names)
    }

    pub fn new(visit: StoredVisit, names: &Names) -> Self {
        let StoredVisit { row, photos } = visit;
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
            follow_up_by: row.follow_up_by,
            household_id: row
                .household_id
                .map(crate::domain::HouseholdId::into_string),
            author: names.user(&row.author_id),
            author_id: row.author_id.into_string(),
            received_at: row.received_at.and_utc(),
            review_status: row.review_status,
            review_note: row.review_note,
            reviewed_by: row.reviewed_by.map(UserId::into_string),
            reviewed_at: row.reviewed_at.map(|t| t.and_utc()),
            updated_at: row.updated_at.and_utc(),
            flags: Flag::split(&row.flags),
            photos: photos.into_iter().map(PhotoView::from).collect(),
            photos_expected: row.photos_expected,
            photos_received: row.photos_received,
            id: row.id.into_string(),
        }
    }
}

/// Views of visit rows: their photos and their authors' names, a statement each for
/// the whole set.
pub fn views(conn: &mut DbConnection, rows: Vec<VisitRow>) -> diesel::QueryResult<Vec<VisitView>> {
    let names = Names::load(conn, rows.iter().map(|row| &row.author_id))?;
    let visits = store::hydrate(&mut ReadOnly::new(conn), rows)?;
    Ok(visits
        .into_iter()
        .map(|visit| VisitView::new(visit, &names))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_without_a_name_gets_the_fixed_label_and_keeps_its_id() {
        let known = UserId::random();
        let gone = UserId::random();
        let names = Names::of([(known.clone(), "สมศรี".to_owned())]);
        assert_eq!(names.name(&known), "สมศรี");
        assert_eq!(
            names.user(&gone),
            UserRef {
                id: gone.to_string(),
                display_name: UNKNOWN_ACCOUNT.to_owned(),
            }
        );
    }
}
