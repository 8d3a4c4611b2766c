//! What the photo routes of visits and grievances share: one request carrying a whole
//! photo, and reading one back. The rules are `crate::photos`'; this reads the headers.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::AuthUser;
use crate::db::Db;
use crate::domain::{ImageType, Message, PhotoId, PhotoRecord, MAX_PHOTO_BYTES};
use crate::error::ApiError;
use crate::http::declared_body_within;
use crate::photos::{self, PhotoStore};
use crate::visits::view::PhotoView;

/// `POST /{visits|grievances}/{id}/photos`: 201 for a new photo, 200 for bytes the
/// record already holds.
pub async fn post(
    user: AuthUser,
    req: HttpRequest,
    db: &Db,
    store: &PhotoStore,
    record: PhotoRecord,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(ImageType::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(Message::new(
                "send image/jpeg, image/png or image/webp",
                "กรุณาส่งรูปภาพชนิด JPEG, PNG หรือ WebP",
            ))
        })?;
    declared_body_within(&req, MAX_PHOTO_BYTES)?;
    let target = photos::find_target(db, &user, record).await?;
    let upload = store.receive(&mut payload, declared).await?;
    let attached = photos::attach(db, store, &user, &target, upload, declared, "post").await?;
    let status = if attached.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(PhotoView::from(attached.photo)))
}

/// `GET /{visits|grievances}/{id}/photos/{photo_id}`: the bytes with their type.
pub async fn get(
    user: AuthUser,
    db: &Db,
    store: &PhotoStore,
    record: PhotoRecord,
    photo_id: String,
) -> Result<HttpResponse, ApiError> {
    let photo = photos::find(db, &user, record, PhotoId::unchecked(photo_id)).await?;
    let fetched = store.read(&photo.sha256).await?;
    // Streamed as the store gives it: memory stays flat however many photos are read.
    Ok(HttpResponse::Ok()
        .content_type(photo.content_type)
        // A photo of a citizen's home is personal data: like every answer, `no-store`.
        .insert_header((header::ETAG, format!("\"{}\"", photo.sha256)))
        .no_chunking(fetched.size)
        .streaming(fetched.body))
}
