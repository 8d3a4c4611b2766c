//! Photos of visits and grievances, whichever way they arrive (one request, or a
//! resumable upload): every rule of a photo lives here once. Who may add one is the
//! policy's ([`policy::may_add_photo`]); how many a record holds, how large and of which
//! type one may be, that the same bytes are kept once, what its EXIF says about its
//! record, and the audit entry are this module's. `store` keeps the bytes, `exif` reads
//! them, `uploads` is the tus protocol's use cases.

pub mod exif;
pub mod objects;
pub mod store;
pub mod sweep;
pub mod uploads;

use chrono::NaiveDateTime;

use crate::auth::AuthUser;
use crate::db::photos::{self, PhotoRow};
use crate::db::{grievances, visits, Db, DbConnection};
use crate::domain::{FieldCode, GeoPoint, ImageType, PhotoId, PhotoRecord, MAX_PHOTOS_PER_RECORD};
use crate::error::ApiError;
use crate::placement::Flag;
use crate::policy::{self, PhotoTarget};

pub use store::{PhotoStore, Upload};

/// A record the caller may add a photo to, with what a photo's EXIF is compared with.
#[derive(Debug, Clone)]
pub struct Target {
    pub record: PhotoRecord,
    pub point: GeoPoint,
    /// `visited_at` or `reported_at`.
    pub at: NaiveDateTime,
}

/// A photo attached: the stored one, and whether it is new (201) or the record held
/// these bytes already (200).
#[derive(Debug, Clone)]
pub struct Attached {
    pub photo: PhotoRow,
    pub created: bool,
}

/// The record, when the caller can see it (else 404) and may add photos to it (else 403).
pub fn target(
    conn: &mut DbConnection,
    user: &AuthUser,
    record: &PhotoRecord,
) -> Result<Target, ApiError> {
    let visibility = policy::visibility(user);
    let (point, at) = match record {
        PhotoRecord::Visit(id) => {
            let visit = visits::find_visible(conn, id, &visibility)?.ok_or(ApiError::NotFound)?;
            policy::require_add_photo(user, PhotoTarget::Visit(&visit))?;
            ((visit.lat, visit.lon), visit.visited_at)
        }
        PhotoRecord::Grievance(id) => {
            let grievance =
                grievances::find_visible(conn, id, &visibility)?.ok_or(ApiError::NotFound)?;
            policy::require_add_photo(user, PhotoTarget::Grievance(&grievance))?;
            ((grievance.lat, grievance.lon), grievance.reported_at)
        }
    };
    Ok(Target {
        record: record.clone(),
        point: GeoPoint {
            lat: point.0,
            lon: point.1,
        },
        at,
    })
}

/// [`target`] on the blocking pool.
pub async fn find_target(
    db: &Db,
    user: &AuthUser,
    record: PhotoRecord,
) -> Result<Target, ApiError> {
    let user = user.clone();
    db.read(move |conn| target(conn, &user, &record)).await
}

/// 422 `too_many` when the record holds the most photos it may.
pub fn check_room(conn: &mut DbConnection, record: &PhotoRecord) -> Result<(), ApiError> {
    if photos::count(conn, record)? >= MAX_PHOTOS_PER_RECORD {
        return Err(full(record));
    }
    Ok(())
}

fn full(record: &PhotoRecord) -> ApiError {
    let (en, th) = match record {
        PhotoRecord::Visit(_) => ("a visit", "การเยี่ยมบ้านหนึ่งครั้ง"),
        PhotoRecord::Grievance(_) => ("a grievance", "เรื่องร้องทุกข์หนึ่งเรื่อง"),
    };
    ApiError::field(
        "photos",
        FieldCode::TooMany,
        format!("{en} holds at most {MAX_PHOTOS_PER_RECORD} photos"),
        format!("{th}แนบรูปได้ไม่เกิน {MAX_PHOTOS_PER_RECORD} รูป"),
    )
}

/// A photo of a record the caller can see (404 for anything else).
pub async fn find(
    db: &Db,
    user: &AuthUser,
    record: PhotoRecord,
    photo_id: PhotoId,
) -> Result<PhotoRow, ApiError> {
    let visibility = policy::visibility(user);
    db.read(move |conn| {
        let visible = match &record {
            PhotoRecord::Visit(id) => visits::find_visible(conn, id, &visibility)?.is_some(),
            PhotoRecord::Grievance(id) => {
                grievances::find_visible(conn, id, &visibility)?.is_some()
            }
        };
        if !visible {
            return Err(ApiError::NotFound);
        }
        photos::find(conn, &record, &photo_id)?.ok_or(ApiError::NotFound)
    })
    .await
}

/// Makes a received upload `target`'s photo: the same bytes again are the photo already
/// stored; otherwise the record must have room, the file is put in place durably, and
/// the photo is recorded with its EXIF's flags and an audit entry, in one transaction.
pub async fn attach(
    db: &Db,
    store: &PhotoStore,
    user: &AuthUser,
    target: &Target,
    upload: Upload,
    declared: ImageType,
    via: &'static str,
) -> Result<Attached, ApiError> {
    let record = target.record.clone();
    let sha256 = upload.sha256.clone();
    let existing = db
        .read(move |conn| {
            let existing = photos::find_by_hash(conn, &record, &sha256)?;
            if existing.is_none() {
                check_room(conn, &record)?;
            }
            Ok(existing)
        })
        .await?;
    if let Some(photo) = existing {
        return Ok(Attached {
            photo,
            created: false,
        });
    }
    let taken = match upload.path().map(ToOwned::to_owned) {
        Some(path) => actix_web::web::block(move || {
            std::fs::File::open(path)
                .map(|file| exif::read(&mut std::io::BufReader::new(file)))
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default(),
        None => exif::Taken::default(),
    };
    let flags = exif::flags(&taken, target.point, target.at);
    let photo = PhotoRow {
        id: PhotoId::random(),
        record: target.record.clone(),
        sha256: upload.sha256.clone(),
        content_type: declared.content_type().to_owned(),
        bytes: upload.bytes,
        uploaded_by: user.id.clone(),
        created_at: crate::db::now(),
        taken_at: taken.at.map(|at| crate::db::to_micros(at.naive_utc())),
        taken_lat: taken.point.map(|p| p.lat),
        taken_lon: taken.point.map(|p| p.lon),
        flags: Flag::join(&flags),
    };
    // The file is durable before the row that acknowledges it exists.
    store.persist(upload).await?;
    let user = user.clone();
    let (photo, created) = db
        .write(move |conn| {
            photos::lock_record(conn, &photo.record)?;
            if photos::find_by_hash(conn, &photo.record, &photo.sha256)?.is_none() {
                check_room(conn, &photo.record)?;
            }
            let (photo, created) = photos::add(conn, &photo, photo.created_at)?;
            if created {
                user.audit(
                    conn,
                    "photo.added",
                    photo.record.kind(),
                    Some(photo.record.id()),
                    serde_json::json!({
                        "photo_id": photo.id,
                        "sha256": photo.sha256,
                        "bytes": photo.bytes,
                        "content_type": photo.content_type,
                        "flags": Flag::split(&photo.flags),
                        "via": via,
                    }),
                )?;
            }
            Ok((photo, created))
        })
        .await?;
    Ok(Attached { photo, created })
}
