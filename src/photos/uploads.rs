//! Resumable photo uploads (tus 1.0.0 with `creation`, `creation-with-upload`,
//! `expiration`, `termination` and `checksum`): the protocol's rules and use cases. The
//! route (`routes::uploads`) only reads and writes headers.
//!
//! An upload belongs to the account that created it. Each request's bytes are staged on
//! this node as they arrive and then kept in the photo store as one part of the upload,
//! so a connection dropped mid-chunk keeps what came, and any node can continue or finish
//! an upload another began; the offset the database holds (with the parts it recorded)
//! is what was acknowledged. A chunk sent with `Upload-Checksum` counts only whole and
//! verified. When the last byte arrives, the parts are gathered and go through the same
//! [`super::attach`] as a photo sent in one request, and the upload is then a photo of
//! its record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use base64::Engine;
use chrono::Duration;
use futures_util::{Stream, StreamExt};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::store::{mismatch, storage_error, Staged};
use super::{Attached, PhotoStore};
use crate::auth::AuthUser;
use crate::db::uploads::{self, UploadRow};
use crate::db::Db;
use crate::domain::{FieldCode, ImageType, Message, PhotoRecord, MAX_PHOTO_BYTES};
use crate::error::{ApiError, FieldError, UploadCode};

/// The protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// The extensions supported, as `Tus-Extension` lists them.
pub const TUS_EXTENSIONS: &str = "creation,creation-with-upload,expiration,termination,checksum";
/// The checksum algorithms supported, as `Tus-Checksum-Algorithm` lists them.
pub const TUS_CHECKSUMS: &str = "sha1,sha256";
/// How long a PATCH waits for another one on the same upload before 423.
const LOCK_WAIT: StdDuration = StdDuration::from_secs(10);

/// A checksum a client sent for one chunk (`Upload-Checksum: sha256 <base64>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

impl Checksum {
    /// 400 for an algorithm not supported or a value that is not base64 (tus).
    pub fn parse(header: &str) -> Result<Self, ApiError> {
        let (algorithm, value) = header.trim().split_once(' ').ok_or_else(|| {
            ApiError::malformed(
                "Upload-Checksum must be an algorithm and a base64 value",
                "Upload-Checksum ต้องประกอบด้วยชื่ออัลกอริทึมและค่าแบบ base64",
            )
        })?;
        let digest = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| {
                ApiError::malformed(
                    "the Upload-Checksum value is not base64",
                    "ค่าใน Upload-Checksum ไม่ใช่ base64",
                )
            })?;
        match algorithm.trim().to_ascii_lowercase().as_str() {
            "sha1" => Ok(Self::Sha1(digest)),
            "sha256" => Ok(Self::Sha256(digest)),
            _ => Err(ApiError::malformed(
                format!("checksum algorithms supported: {TUS_CHECKSUMS}"),
                format!("รองรับอัลกอริทึมตรวจสอบไฟล์: {TUS_CHECKSUMS}"),
            )),
        }
    }
}

/// What `Upload-Metadata` must carry: the record the photo is for and its type. Other
/// keys (a file name, say) are kept for `HEAD` but mean nothing here.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub record: PhotoRecord,
    pub declared: ImageType,
    /// The header as sent.
    pub raw: String,
}

impl Metadata {
    /// Reads `key base64,key base64`; every broken rule in one 422, an image type not
    /// taken a 415 like the one-shot photo POST.
    pub fn parse(header: Option<&str>) -> Result<Self, ApiError> {
        let raw = header.unwrap_or("").trim().to_owned();
        let mut values: HashMap<&str, String> = HashMap::new();
        let mut errors = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
            match base64::engine::general_purpose::STANDARD.decode(value.trim()) {
                Ok(bytes) => {
                    values.insert(key, String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(_) => errors.push(FieldError::new(
                    format!("Upload-Metadata.{key}"),
                    FieldCode::BadFormat,
                    "is not base64",
                    "ไม่ใช่ค่าแบบ base64",
                )),
            }
        }
        let record = match values.get("record") {
            None => {
                errors.push(FieldError::required("Upload-Metadata.record"));
                None
            }
            Some(value) => PhotoRecord::parse(value)
                .map_err(|e| errors.push(FieldError::parse("Upload-Metadata.record", e)))
                .ok(),
        };
        // `filetype` is what several tus clients send on their own.
        let content_type = values
            .get("content_type")
            .or_else(|| values.get("filetype"));
        if content_type.is_none() {
            errors.push(FieldError::required("Upload-Metadata.content_type"));
        }
        let (Some(record), Some(content_type), true) = (record, content_type, errors.is_empty())
        else {
            return Err(ApiError::Validation(errors));
        };
        let declared = ImageType::from_content_type(content_type).ok_or_else(|| {
            ApiError::UnsupportedMediaType(Message::new(
                "content_type must be image/jpeg, image/png or image/webp",
                "content_type ต้องเป็น image/jpeg, image/png หรือ image/webp",
            ))
        })?;
        Ok(Self {
            record,
            declared,
            raw,
        })
    }
}

/// The uploads of this process: where their bytes go, how long they live, and which are
/// being written now (one request at a time per upload on this node; across nodes, the
/// database's offset decides which of two chunks counts).
#[derive(Debug, Clone)]
pub struct UploadDesk {
    store: PhotoStore,
    expiry: Duration,
    busy: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// What a PATCH (or a creation with a body) says of the bytes it brings.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Where the bytes start: the upload's offset, or 409.
    pub offset: i64,
    pub checksum: Option<Checksum>,
    /// The body's `Content-Length`, when sent: more than the upload lacks is a 413.
    pub declared_length: Option<i64>,
}

impl UploadDesk {
    pub fn new(store: PhotoStore, expiry: Duration) -> Self {
        Self {
            store,
            expiry,
            busy: Arc::default(),
        }
    }

    /// Waits (a while) for other requests on upload `id` to end.
    async fn lock(&self, id: &str) -> Result<tokio::sync::OwnedMutexGuard<()>, ApiError> {
        let mutex = {
            let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
            // Forget uploads nobody holds, so the map stays as small as the work in hand.
            busy.retain(|_, m| Arc::strong_count(m) > 1);
            busy.entry(id.to_owned()).or_default().clone()
        };
        tokio::time::timeout(LOCK_WAIT, mutex.lock_owned())
            .await
            .map_err(|_| {
                ApiError::upload(
                    UploadCode::Locked,
                    "another request is sending this upload; try again shortly",
                    "มีคำขออื่นกำลังส่งไฟล์นี้อยู่ กรุณาลองใหม่ในอีกสักครู่",
                )
            })
    }

    /// The caller's upload, while it lives.
    async fn find(&self, db: &Db, user: &AuthUser, id: &str) -> Result<UploadRow, ApiError> {
        let (id, owner) = (id.to_owned(), user.id.clone());
        let row = db
            .read(move |conn| uploads::find_own(conn, &id, &owner)?.ok_or(ApiError::NotFound))
            .await?;
        if row.expires_at <= crate::db::now() {
            return Err(ApiError::upload(
                UploadCode::Expired,
                "this upload expired; start it again",
                "การส่งไฟล์นี้หมดอายุแล้ว กรุณาเริ่มส่งใหม่",
            ));
        }
        Ok(row)
    }

    /// `POST /uploads`: a new upload of `length` bytes for a record the caller may add a
    /// photo to and which has room for one: the limits hold before any byte is sent.
    pub async fn create(
        &self,
        db: &Db,
        user: &AuthUser,
        metadata: Metadata,
        length: i64,
    ) -> Result<UploadRow, ApiError> {
        if length > MAX_PHOTO_BYTES as i64 {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_PHOTO_BYTES,
            });
        }
        if length < ImageType::HEAD_BYTES as i64 {
            return Err(ApiError::field(
                "Upload-Length",
                FieldCode::OutOfRange,
                format!(
                    "must be from {} to {MAX_PHOTO_BYTES} bytes",
                    ImageType::HEAD_BYTES
                ),
                format!(
                    "ต้องมีขนาด {} ถึง {MAX_PHOTO_BYTES} ไบต์",
                    ImageType::HEAD_BYTES
                ),
            ));
        }
        let target = super::find_target(db, user, metadata.record.clone()).await?;
        let record = target.record.clone();
        db.read(move |conn| super::check_room(conn, &record))
            .await?;
        let now = crate::db::now();
        let row = UploadRow {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            record_type: metadata.record.kind().to_owned(),
            record_id: metadata.record.id().to_owned(),
            content_type: metadata.declared.content_type().to_owned(),
            upload_length: length,
            upload_offset: 0,
            metadata: metadata.raw,
            created_at: now,
            expires_at: now + self.expiry,
            photo_id: None,
            photo_created: None,
        };
        let stored = row.clone();
        db.write(move |conn| Ok(uploads::insert(conn, &stored)?))
            .await?;
        Ok(row)
    }

    /// `HEAD /uploads/{id}`. A request still writing to the upload (the one whose
    /// connection just dropped, say) is waited for, so the offset told includes its
    /// bytes; should it hang on, the stored offset is told all the same.
    pub async fn status(&self, db: &Db, user: &AuthUser, id: &str) -> Result<UploadRow, ApiError> {
        let _guard = self.lock(id).await.ok();
        self.find(db, user, id).await
    }

    /// `PATCH /uploads/{id}` (and the body of a creation-with-upload): the bytes at
    /// `offset`, written as they arrive. Returns where the upload stands; when this was
    /// its last byte, the photo it became.
    pub async fn append<S>(
        &self,
        db: &Db,
        user: &AuthUser,
        id: &str,
        chunk: Chunk,
        payload: &mut S,
    ) -> Result<UploadRow, ApiError>
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
    {
        let Chunk {
            offset,
            checksum,
            declared_length,
        } = chunk;
        let _guard = self.lock(id).await?;
        let mut row = self.find(db, user, id).await?;
        if offset != row.upload_offset {
            return Err(ApiError::upload(
                UploadCode::OffsetMismatch,
                format!("Upload-Offset must be {}: ask with HEAD", row.upload_offset),
                format!(
                    "Upload-Offset ต้องเป็น {} (สอบถามด้วย HEAD)",
                    row.upload_offset
                ),
            ));
        }
        if row.photo_id.is_some() {
            // Already a photo: a client that lost the last answer learns it is done.
            return Ok(row);
        }
        // More than the upload still lacks: refused before a byte is read.
        let missing = row.upload_length - row.upload_offset;
        if declared_length.is_some_and(|length| length > missing) {
            return Err(ApiError::PayloadTooLarge {
                limit: usize::try_from(missing).unwrap_or(0),
            });
        }
        let written = self.receive(db, &row, checksum, payload).await?;
        let (start, end) = (row.upload_offset, row.upload_offset + written.bytes);
        if end > start {
            let key = self.store.put_part(id, start, &written.staged).await?;
            let (id_owned, recorded_key) = (id.to_owned(), key.clone());
            let advanced = db
                .write(move |conn| {
                    Ok(uploads::advance(
                        conn,
                        &id_owned,
                        start,
                        end,
                        &recorded_key,
                    )?)
                })
                .await?;
            if !advanced {
                // Another node took a chunk at this offset first: this one never counted.
                self.store.drop_part(&key).await;
                return Err(offset_moved(id, db, user).await);
            }
            row.upload_offset = end;
        }
        if let Some(error) = written.interrupted {
            // The bytes that came are kept; the client resumes from HEAD's offset.
            return Err(error);
        }
        if row.upload_offset < row.upload_length {
            return Ok(row);
        }
        let attached = self.complete(db, user, &row).await?;
        row.photo_id = Some(attached.photo.id.to_string());
        row.photo_created = Some(attached.created);
        Ok(row)
    }

    /// Stages the body on this node. Bytes beyond the upload's length, a failed checksum
    /// or a first chunk that is not the declared image type discard the whole chunk; a
    /// connection that drops keeps what came (unless the chunk had a checksum, which only
    /// a whole chunk can pass).
    async fn receive<S>(
        &self,
        db: &Db,
        row: &UploadRow,
        checksum: Option<Checksum>,
        payload: &mut S,
    ) -> Result<Written, ApiError>
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
    {
        let start = row.upload_offset;
        let room = row.upload_length - start;
        let (staged, mut file) = self.store.stage().await?;
        let mut sha1 = Sha1::new();
        let mut sha256 = Sha256::new();
        let mut first_bytes: Vec<u8> = Vec::with_capacity(ImageType::HEAD_BYTES);
        let mut received: i64 = 0;
        let mut failure: Option<ApiError> = None;
        let mut interrupted: Option<ApiError> = None;
        while let Some(chunk) = payload.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    interrupted = Some(error.into());
                    break;
                }
            };
            if received + chunk.len() as i64 > room {
                failure = Some(ApiError::PayloadTooLarge {
                    limit: room.max(0) as usize,
                });
                break;
            }
            match &checksum {
                Some(Checksum::Sha1(_)) => sha1.update(&chunk),
                Some(Checksum::Sha256(_)) => sha256.update(&chunk),
                None => {}
            }
            if first_bytes.len() < ImageType::HEAD_BYTES {
                let take = (ImageType::HEAD_BYTES - first_bytes.len()).min(chunk.len());
                first_bytes.extend_from_slice(&chunk[..take]);
            }
            file.write_all(&chunk).await.map_err(storage_error)?;
            received += chunk.len() as i64;
        }
        if failure.is_none() && interrupted.is_none() {
            if let Some(expected) = &checksum {
                let matches = match expected {
                    Checksum::Sha1(digest) => sha1.finalize()[..] == digest[..],
                    Checksum::Sha256(digest) => sha256.finalize()[..] == digest[..],
                };
                if !matches {
                    failure = Some(ApiError::upload(
                        UploadCode::ChecksumMismatch,
                        "the chunk's bytes do not match its Upload-Checksum; send it again",
                        "ข้อมูลที่ส่งมาไม่ตรงกับค่า Upload-Checksum กรุณาส่งใหม่",
                    ));
                }
            }
        }
        if failure.is_none() && interrupted.is_some() && checksum.is_some() {
            // A checksum vouches for a whole chunk only.
            failure = interrupted.take();
        }
        let head_bytes = ImageType::HEAD_BYTES as i64;
        if failure.is_none() && start < head_bytes && start + received >= head_bytes {
            // This chunk completes the upload's first bytes: they must be the declared type.
            let mut head = if start == 0 {
                Vec::new()
            } else {
                let id = row.id.clone();
                let parts = db
                    .read(move |conn| Ok(uploads::parts_of(conn, &id)?))
                    .await?;
                self.store.upload_head(&parts, start).await?
            };
            head.extend_from_slice(&first_bytes);
            let declared = ImageType::from_content_type(&row.content_type)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored content type")))?;
            if !declared.matches(&head) {
                failure = Some(mismatch(declared));
            }
        }
        if let Some(error) = failure {
            return Err(error);
        }
        // Acknowledged bytes are on disk before they are kept.
        file.sync_all().await.map_err(storage_error)?;
        Ok(Written {
            bytes: received,
            interrupted,
            staged,
        })
    }

    /// The last byte came: the upload becomes its record's photo (the rules are checked
    /// again, as at creation). An upload refused here is over: its row and bytes go.
    async fn complete(
        &self,
        db: &Db,
        user: &AuthUser,
        row: &UploadRow,
    ) -> Result<Attached, ApiError> {
        let outcome = async {
            let record = PhotoRecord::stored(&row.record_type, row.record_id.clone())
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored record type")))?;
            let declared = ImageType::from_content_type(&row.content_type)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored content type")))?;
            let target = super::find_target(db, user, record).await?;
            let id = row.id.clone();
            let parts = db
                .read(move |conn| Ok(uploads::parts_of(conn, &id)?))
                .await?;
            let upload = self
                .store
                .assemble(&parts, row.upload_length, declared)
                .await?;
            super::attach(db, &self.store, user, &target, upload, declared, "upload").await
        }
        .await;
        let id = row.id.clone();
        match &outcome {
            Ok(attached) => {
                let (photo_id, created) = (attached.photo.id.to_string(), attached.created);
                db.write(move |conn| Ok(uploads::finish(conn, &id, &photo_id, created)?))
                    .await?;
                // The photo holds the bytes now: the parts go (or, should the store not
                // answer, with the upload when it expires).
                if let Err(error) = self.store.remove_upload(&row.id).await {
                    tracing::warn!(upload = %row.id, %error, "a finished upload's parts stay until it expires");
                }
            }
            // Bytes the photo rules refuse can never become a photo: they go. A fault of
            // the server's (a full disk, the database, the store) keeps them, so the phone
            // asks again without sending 10 MiB anew.
            Err(error) if actix_web::ResponseError::status_code(error).is_client_error() => {
                self.store.remove_upload(&row.id).await?;
                db.write(move |conn| Ok(uploads::delete(conn, &id)?))
                    .await?;
            }
            Err(_) => {}
        }
        outcome
    }

    /// `DELETE /uploads/{id}`: the upload and its bytes are gone. The bytes first: should
    /// the store not answer, the upload stays for the client to delete again.
    pub async fn terminate(&self, db: &Db, user: &AuthUser, id: &str) -> Result<(), ApiError> {
        let _guard = self.lock(id).await?;
        let (id_owned, owner) = (id.to_owned(), user.id.clone());
        db.read(move |conn| uploads::find_own(conn, &id_owned, &owner)?.ok_or(ApiError::NotFound))
            .await?;
        self.store.remove_upload(id).await?;
        let id_owned = id.to_owned();
        db.write(move |conn| Ok(uploads::delete(conn, &id_owned)?))
            .await
    }
}

/// 409 for a chunk that lost the race for its offset: the client asks with HEAD where
/// the upload stands and sends the rest from there.
async fn offset_moved(id: &str, db: &Db, user: &AuthUser) -> ApiError {
    let (id, owner) = (id.to_owned(), user.id.clone());
    let now = db
        .read(move |conn| Ok(uploads::find_own(conn, &id, &owner)?))
        .await
        .ok()
        .flatten()
        .map(|row| row.upload_offset);
    let offset = now.map_or_else(|| "?".to_owned(), |offset| offset.to_string());
    ApiError::upload(
        UploadCode::OffsetMismatch,
        format!("the upload moved on to {offset} meanwhile: ask with HEAD"),
        format!("ไฟล์นี้ถูกส่งต่อไปถึง {offset} แล้ว (สอบถามด้วย HEAD)"),
    )
}

/// What one request wrote.
#[derive(Debug)]
struct Written {
    bytes: i64,
    /// The body ended early (the connection dropped): what came is kept.
    interrupted: Option<ApiError>,
    /// The bytes, on this node's disk.
    staged: Staged,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn metadata_names_the_record_and_type() {
        let id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
        let header = format!(
            "record {},content_type {},filename {}",
            b64(&format!("visit:{id}")),
            b64("image/jpeg"),
            b64("a.jpg")
        );
        let metadata = Metadata::parse(Some(&header)).unwrap();
        assert_eq!(metadata.record.to_string(), format!("visit:{id}"));
        assert_eq!(metadata.declared, ImageType::Jpeg);
        match Metadata::parse(None) {
            Err(ApiError::Validation(errors)) => assert_eq!(errors.len(), 2),
            other => panic!("{other:?}"),
        }
        let gif = format!(
            "record {},content_type {}",
            b64(&format!("visit:{id}")),
            b64("image/gif")
        );
        assert!(matches!(
            Metadata::parse(Some(&gif)),
            Err(ApiError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn checksums_name_a_supported_algorithm() {
        assert_eq!(
            Checksum::parse("sha1 AAEC").unwrap(),
            Checksum::Sha1(vec![0, 1, 2])
        );
        assert!(matches!(
            Checksum::parse("sha256 AAEC").unwrap(),
            Checksum::Sha256(_)
        ));
        assert!(Checksum::parse("md5 AAEC").is_err());
        assert!(Checksum::parse("sha1 !!").is_err());
    }
}
