//! The `visit_photos` and `grievance_photos` tables, behind one set of calls that take
//! the record a photo belongs to. The two tables have the same columns but the record's.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{grievance_photos, grievances, visit_photos, visits};
use super::DbConnection;
use crate::domain::{GrievanceId, PhotoId, PhotoRecord, UserId, VisitId};

/// A stored photo, whichever record it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRow {
    pub id: PhotoId,
    pub record: PhotoRecord,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub uploaded_by: UserId,
    pub created_at: NaiveDateTime,
    /// When and where the photo was taken, from its EXIF, when it says.
    pub taken_at: Option<NaiveDateTime>,
    pub taken_lat: Option<f64>,
    pub taken_lon: Option<f64>,
    /// Stored names of placement flags, comma-separated.
    pub flags: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = visit_photos)]
pub struct VisitPhoto {
    pub id: PhotoId,
    pub visit_id: VisitId,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub uploaded_by: UserId,
    pub created_at: NaiveDateTime,
    pub taken_at: Option<NaiveDateTime>,
    pub taken_lat: Option<f64>,
    pub taken_lon: Option<f64>,
    pub flags: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grievance_photos)]
pub struct GrievancePhoto {
    pub id: PhotoId,
    pub grievance_id: GrievanceId,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub uploaded_by: UserId,
    pub created_at: NaiveDateTime,
    pub taken_at: Option<NaiveDateTime>,
    pub taken_lat: Option<f64>,
    pub taken_lon: Option<f64>,
    pub flags: String,
}

// One conversion each way per table: the only places that know the two shapes differ.
macro_rules! photo_row_conversions {
    ($table_row:ident, $key:ident: $key_type:ty, $variant:ident) => {
        impl From<$table_row> for PhotoRow {
            fn from(row: $table_row) -> Self {
                Self {
                    id: row.id,
                    record: PhotoRecord::$variant(row.$key),
                    sha256: row.sha256,
                    content_type: row.content_type,
                    bytes: row.bytes,
                    uploaded_by: row.uploaded_by,
                    created_at: row.created_at,
                    taken_at: row.taken_at,
                    taken_lat: row.taken_lat,
                    taken_lon: row.taken_lon,
                    flags: row.flags,
                }
            }
        }

        impl $table_row {
            fn of(row: &PhotoRow, $key: &$key_type) -> Self {
                Self {
                    id: row.id.clone(),
                    $key: $key.clone(),
                    sha256: row.sha256.clone(),
                    content_type: row.content_type.clone(),
                    bytes: row.bytes,
                    uploaded_by: row.uploaded_by.clone(),
                    created_at: row.created_at,
                    taken_at: row.taken_at,
                    taken_lat: row.taken_lat,
                    taken_lon: row.taken_lon,
                    flags: row.flags.clone(),
                }
            }
        }
    };
}

photo_row_conversions!(VisitPhoto, visit_id: VisitId, Visit);
photo_row_conversions!(GrievancePhoto, grievance_id: GrievanceId, Grievance);

/// How many photos the record holds.
pub fn count(conn: &mut DbConnection, record: &PhotoRecord) -> QueryResult<i64> {
    match record {
        PhotoRecord::Visit(id) => visit_photos::table
            .filter(visit_photos::visit_id.eq(id))
            .count()
            .get_result(conn),
        PhotoRecord::Grievance(id) => grievance_photos::table
            .filter(grievance_photos::grievance_id.eq(id))
            .count()
            .get_result(conn),
    }
}

/// The record's photo with these bytes, if it has one.
pub fn find_by_hash(
    conn: &mut DbConnection,
    record: &PhotoRecord,
    sha256: &str,
) -> QueryResult<Option<PhotoRow>> {
    Ok(match record {
        PhotoRecord::Visit(id) => visit_photos::table
            .filter(visit_photos::visit_id.eq(id))
            .filter(visit_photos::sha256.eq(sha256))
            .select(VisitPhoto::as_select())
            .first(conn)
            .optional()?
            .map(PhotoRow::from),
        PhotoRecord::Grievance(id) => grievance_photos::table
            .filter(grievance_photos::grievance_id.eq(id))
            .filter(grievance_photos::sha256.eq(sha256))
            .select(GrievancePhoto::as_select())
            .first(conn)
            .optional()?
            .map(PhotoRow::from),
    })
}

/// One photo of the record.
pub fn find(
    conn: &mut DbConnection,
    record: &PhotoRecord,
    photo_id: &PhotoId,
) -> QueryResult<Option<PhotoRow>> {
    Ok(match record {
        PhotoRecord::Visit(id) => visit_photos::table
            .filter(visit_photos::visit_id.eq(id))
            .filter(visit_photos::id.eq(photo_id))
            .select(VisitPhoto::as_select())
            .first(conn)
            .optional()?
            .map(PhotoRow::from),
        PhotoRecord::Grievance(id) => grievance_photos::table
            .filter(grievance_photos::grievance_id.eq(id))
            .filter(grievance_photos::id.eq(photo_id))
            .select(GrievancePhoto::as_select())
            .first(conn)
            .optional()?
            .map(PhotoRow::from),
    })
}

/// The photos of these grievances, oldest first, in one query.
pub fn of_grievances(
    conn: &mut DbConnection,
    ids: &[&GrievanceId],
) -> QueryResult<HashMap<GrievanceId, Vec<PhotoRow>>> {
    let mut photos: HashMap<GrievanceId, Vec<PhotoRow>> = HashMap::new();
    for photo in grievance_photos::table
        .filter(grievance_photos::grievance_id.eq_any(ids))
        .order(grievance_photos::created_at.asc())
        .select(GrievancePhoto::as_select())
        .load(conn)?
    {
        photos
            .entry(photo.grievance_id.clone())
            .or_default()
            .push(photo.into());
    }
    Ok(photos)
}

/// Serialises photo additions to one record, so the per-record cap holds under
/// concurrency. (SQLite writers are serialised already.)
pub fn lock_record(conn: &mut DbConnection, record: &PhotoRecord) -> QueryResult<()> {
    if let DbConnection::Postgres(conn) = conn {
        match record {
            PhotoRecord::Visit(id) => visits::table
                .find(id)
                .select(visits::id)
                .for_update()
                .first::<String>(conn)
                .optional()?,
            PhotoRecord::Grievance(id) => grievances::table
                .find(id)
                .select(grievances::id)
                .for_update()
                .first::<String>(conn)
                .optional()?,
        };
    }
    Ok(())
}

/// Records a stored photo unless the record already has these bytes; returns the photo
/// and whether it is new. A new photo counts as received on its record, and its flags
/// join the record's (visits keep flags). Call inside the transaction that locked the
/// record and checked its photo count.
pub fn add(
    conn: &mut DbConnection,
    photo: &PhotoRow,
    now: NaiveDateTime,
) -> QueryResult<(PhotoRow, bool)> {
    let inserted = match &photo.record {
        PhotoRecord::Visit(id) => {
            crate::insert_if_absent!(conn, visit_photos::table, VisitPhoto::of(photo, id))
        }
        PhotoRecord::Grievance(id) => {
            crate::insert_if_absent!(conn, grievance_photos::table, GrievancePhoto::of(photo, id))
        }
    };
    if !inserted {
        let existing = find_by_hash(conn, &photo.record, &photo.sha256)?
            .ok_or(diesel::result::Error::NotFound)?;
        return Ok((existing, false));
    }
    match &photo.record {
        PhotoRecord::Visit(id) => {
            let flags: String = visits::table.find(id).select(visits::flags).first(conn)?;
            diesel::update(visits::table.find(id))
                .set((
                    visits::photos_received.eq(visits::photos_received + 1),
                    visits::flags.eq(join_flags(&flags, &photo.flags)),
                    visits::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        PhotoRecord::Grievance(id) => {
            let flags: String = grievances::table
                .find(id)
                .select(grievances::flags)
                .first(conn)?;
            diesel::update(grievances::table.find(id))
                .set((
                    grievances::photos_received.eq(grievances::photos_received + 1),
                    grievances::flags.eq(join_flags(&flags, &photo.flags)),
                    grievances::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok((photo.clone(), true))
}

/// The union of two comma-separated lists of flag names, in first-seen order.
fn join_flags(stored: &str, more: &str) -> String {
    let mut names: Vec<&str> = stored.split(',').filter(|n| !n.is_empty()).collect();
    for name in more.split(',').filter(|n| !n.is_empty()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn flags_join_once_each() {
        assert_eq!(super::join_flags("", ""), "");
        assert_eq!(super::join_flags("low_accuracy", ""), "low_accuracy");
        assert_eq!(
            super::join_flags("low_accuracy", "photo_far_from_record,low_accuracy"),
            "low_accuracy,photo_far_from_record"
        );
    }
}
