//! Resumable photo uploads over tus 1.0.0 (https://tus.io/protocols/resumable-upload):
//! the headers in and out. The protocol's rules and use cases are
//! `crate::photos::uploads`; a finished upload is a photo like one sent whole.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{
    delete, head, options, patch, post, web, HttpRequest, HttpResponse, HttpResponseBuilder,
};
use chrono::NaiveDateTime;

use crate::auth::AuthUser;
use crate::db::uploads::UploadRow;
use crate::db::Db;
use crate::domain::{Message, PhotoRecord, MAX_PHOTO_BYTES};
use crate::error::{ApiError, Problem, UploadCode};
use crate::http::declared_body_within;
use crate::photos::uploads::{
    Checksum, Chunk, Metadata, UploadDesk, TUS_CHECKSUMS, TUS_EXTENSIONS, TUS_VERSION,
};

const OFFSET_STREAM: &str = "application/offset+octet-stream";

/// tus: every answer about uploads names the protocol version, refusals included.
pub async fn tus_resumable(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    response.headers_mut().insert(
        HeaderName::from_static("tus-resumable"),
        HeaderValue::from_static(TUS_VERSION),
    );
    Ok(response)
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// 412 unless the client speaks tus 1.0.0.
fn require_tus(req: &HttpRequest) -> Result<(), ApiError> {
    match text(req.headers(), "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::upload(
            UploadCode::TusVersionUnsupported,
            format!("send Tus-Resumable: {TUS_VERSION}"),
            format!("กรุณาส่ง Tus-Resumable: {TUS_VERSION}"),
        )),
    }
}

/// A non-negative byte count from a header; 400 when missing or not a number.
fn byte_count(req: &HttpRequest, name: &'static str) -> Result<i64, ApiError> {
    text(req.headers(), name)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::malformed(
                format!("{name} must be a number of bytes"),
                format!("{name} ต้องเป็นจำนวนไบต์"),
            )
        })
}

fn checksum(req: &HttpRequest) -> Result<Option<Checksum>, ApiError> {
    text(req.headers(), "upload-checksum")
        .map(Checksum::parse)
        .transpose()
}

fn is_offset_stream(req: &HttpRequest) -> bool {
    text(req.headers(), "content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_STREAM))
}

/// RFC 9110's date, as `Upload-Expires` takes it.
fn http_date(at: NaiveDateTime) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The headers every answer about an upload carries: where it stands and when it expires;
/// once finished, the photo it became (`Fieldweek-Photo`: its path; `-Status`: 201 new,
/// 200 already held).
fn describe(response: &mut HttpResponseBuilder, row: &UploadRow) {
    response
        .insert_header(("Upload-Offset", row.upload_offset.to_string()))
        .insert_header(("Upload-Expires", http_date(row.expires_at)));
    if let (Some(photo_id), Some(record)) = (
        &row.photo_id,
        PhotoRecord::stored(&row.record_type, row.record_id.clone()),
    ) {
        response
            .insert_header(("Fieldweek-Photo", record.photo_path(photo_id)))
            .insert_header((
                "Fieldweek-Photo-Status",
                if row.photo_created == Some(true) {
                    "201"
                } else {
                    "200"
                },
            ));
    }
}

/// What the server speaks: tus version, extensions, the largest upload, checksums.
#[utoipa::path(
    tag = "uploads",
    responses(
        (status = 204, description = "tus capabilities", headers(
            ("Tus-Resumable" = String, description = "1.0.0"),
            ("Tus-Version" = String, description = "1.0.0"),
            ("Tus-Extension" = String, description = "creation,creation-with-upload,expiration,termination,checksum"),
            ("Tus-Max-Size" = i64, description = "10485760"),
            ("Tus-Checksum-Algorithm" = String, description = "sha1,sha256"),
        )),
    ),
    security(())
)]
#[options("")]
pub async fn options() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Tus-Resumable", TUS_VERSION))
        .insert_header(("Tus-Version", TUS_VERSION))
        .insert_header(("Tus-Extension", TUS_EXTENSIONS))
        .insert_header(("Tus-Max-Size", MAX_PHOTO_BYTES.to_string()))
        .insert_header(("Tus-Checksum-Algorithm", TUS_CHECKSUMS))
        .finish()
}

/// Start a resumable photo upload (tus `creation`, and `creation-with-upload` when a body
/// of `application/offset+octet-stream` comes along). `Upload-Metadata` names the
/// `record` (`visit:<id>` or `grievance:<id>`, base64 like every value) and the
/// `content_type`. The record must be one the caller may add a photo to and have room
/// for one, and the length at most 10 MiB, before any byte is sent.
#[utoipa::path(
    tag = "uploads",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = i64, Header, description = "the photo's size in bytes (at most 10 MiB)"),
        ("Upload-Metadata" = String, Header, description = "`record <base64 of visit:ID or grievance:ID>,content_type <base64 of image/jpeg|image/png|image/webp>`"),
        ("Upload-Checksum" = Option<String>, Header, description = "with a body: `sha1 <base64>` or `sha256 <base64>` of it"),
    ),
    request_body(content((inline(super::Binary) = "application/offset+octet-stream")), description = "optional: the first bytes (creation-with-upload)"),
    responses(
        (status = 201, description = "created", headers(
            ("Location" = String, description = "the upload's URL"),
            ("Upload-Offset" = i64),
            ("Upload-Expires" = String, description = "RFC 9110 date; unfinished uploads are removed after it"),
            ("Tus-Resumable" = String),
            ("Fieldweek-Photo" = String, description = "when the body finished it: the photo's path"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "no Upload-Length"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the caller may not add photos to the record"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such record the caller can see"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "tus_version_unsupported"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "Upload-Length over 10 MiB"),
        (status = 415, body = Problem, content_type = "application/problem+json", description = "content_type not a JPEG, PNG or WebP"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "metadata missing or wrong; the record has 10 photos"),
    ),
    security(("bearer" = []))
)]
#[post("")]
pub async fn create(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    desk: web::Data<UploadDesk>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    if text(req.headers(), "upload-defer-length").is_some() {
        return Err(ApiError::malformed(
            "Upload-Defer-Length is not supported: send Upload-Length",
            "ไม่รองรับ Upload-Defer-Length กรุณาส่ง Upload-Length",
        ));
    }
    let length = byte_count(&req, "Upload-Length")?;
    let metadata = Metadata::parse(text(req.headers(), "upload-metadata"))?;
    let checksum = checksum(&req)?;
    let body_length = declared_body_within(&req, MAX_PHOTO_BYTES)?;
    let row = desk.create(&db, &user, metadata, length).await?;
    let row = if is_offset_stream(&req) {
        match desk
            .append(
                &db,
                &user,
                &row.id,
                Chunk {
                    offset: 0,
                    checksum,
                    declared_length: body_length.map(|n| n as i64),
                },
                &mut payload,
            )
            .await
        {
            Ok(row) => row,
            // Created all the same: the client asks HEAD and sends the rest.
            Err(error) => match desk.status(&db, &user, &row.id).await {
                Ok(row) => row,
                Err(_) => return Err(error),
            },
        }
    } else {
        row
    };
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/uploads/{}", row.id)));
    describe(&mut response, &row);
    Ok(response.finish())
}

/// Where an upload stands: `Upload-Offset` is where to resume.
#[utoipa::path(
    tag = "uploads",
    params(
        ("id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 200, description = "the upload", headers(
            ("Upload-Offset" = i64),
            ("Upload-Length" = i64),
            ("Upload-Metadata" = String),
            ("Upload-Expires" = String),
            ("Tus-Resumable" = String),
            ("Fieldweek-Photo" = String, description = "once finished: the photo's path"),
            ("Fieldweek-Photo-Status" = String, description = "201: a new photo; 200: the record held these bytes"),
        )),
        (status = 404, description = "no such upload of the caller's"),
        (status = 410, description = "upload_expired"),
        (status = 412, description = "tus_version_unsupported"),
    ),
    security(("bearer" = []))
)]
#[head("/{id}")]
pub async fn status(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    desk: web::Data<UploadDesk>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    let row = desk.status(&db, &user, &id).await?;
    let mut response = HttpResponse::Ok();
    describe(&mut response, &row);
    response
        .insert_header(("Upload-Length", row.upload_length.to_string()))
        .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]));
    if !row.metadata.is_empty() {
        response.insert_header(("Upload-Metadata", row.metadata.clone()));
    }
    Ok(response.finish())
}

/// Send bytes from `Upload-Offset` on. Bytes that arrive before a connection drops are
/// kept (unless the chunk has an `Upload-Checksum`, which only a whole chunk passes).
/// When the last byte arrives the upload becomes the record's photo, with the dedupe and
/// flags of a photo sent whole; `Fieldweek-Photo` names it.
#[utoipa::path(
    tag = "uploads",
    params(
        ("id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = i64, Header, description = "where these bytes start: HEAD's Upload-Offset"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 <base64>` or `sha256 <base64>` of this chunk"),
    ),
    request_body(content((inline(super::Binary) = "application/offset+octet-stream"))),
    responses(
        (status = 204, description = "bytes stored", headers(
            ("Upload-Offset" = i64),
            ("Upload-Expires" = String),
            ("Tus-Resumable" = String),
            ("Fieldweek-Photo" = String, description = "when this finished it: the photo's path"),
            ("Fieldweek-Photo-Status" = String, description = "201: a new photo; 200: the record held these bytes"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "no Upload-Offset, or a checksum algorithm not supported"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "offset_mismatch"),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "upload_expired"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "tus_version_unsupported"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "more bytes than Upload-Length"),
        (status = 415, body = Problem, content_type = "application/problem+json", description = "not application/offset+octet-stream, or not the declared image type"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "the record filled up meanwhile"),
        (status = 423, body = Problem, content_type = "application/problem+json", description = "upload_locked: another request is sending it"),
        (status = 460, body = Problem, content_type = "application/problem+json", description = "checksum_mismatch: the chunk was discarded"),
    ),
    security(("bearer" = []))
)]
#[patch("/{id}")]
pub async fn append(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    desk: web::Data<UploadDesk>,
    id: web::Path<String>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    if !is_offset_stream(&req) {
        return Err(ApiError::UnsupportedMediaType(Message::new(
            format!("send the bytes as {OFFSET_STREAM}"),
            format!("กรุณาส่งข้อมูลเป็น {OFFSET_STREAM}"),
        )));
    }
    let offset = byte_count(&req, "Upload-Offset")?;
    let checksum = checksum(&req)?;
    // More than any photo may be, or than the upload still lacks: refused before a
    // byte is read.
    let body_length = declared_body_within(&req, MAX_PHOTO_BYTES)?;
    let row = desk
        .append(
            &db,
            &user,
            &id,
            Chunk {
                offset,
                checksum,
                declared_length: body_length.map(|n| n as i64),
            },
            &mut payload,
        )
        .await?;
    let mut response = HttpResponse::NoContent();
    describe(&mut response, &row);
    Ok(response.finish())
}

/// Give up an upload (tus `termination`): it and its bytes are removed.
#[utoipa::path(
    tag = "uploads",
    params(
        ("id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 204, description = "removed", headers(("Tus-Resumable" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "tus_version_unsupported"),
    ),
    security(("bearer" = []))
)]
#[delete("/{id}")]
pub async fn terminate(
    user: AuthUser,
    req: HttpRequest,
    db: web::Data<Db>,
    desk: web::Data<UploadDesk>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    desk.terminate(&db, &user, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
