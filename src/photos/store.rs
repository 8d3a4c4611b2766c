//! Photo storage: photos named by their SHA-256, and the parts of unfinished resumable
//! uploads, kept in [`Objects`] (the data directory, or S3-compatible storage every node
//! shares). Bytes arrive in a staged file on this node's disk (`photos/tmp`), hashed and
//! checked as they come, and are put in place whole only then, so a crash, a full disk or
//! a store that stops answering never leaves half a photo where a whole one is expected.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::objects::{Fetched, Objects};
use crate::config::PhotoStoreTarget;
use crate::db::uploads::PartRef;
use crate::domain::{ImageType, Message, MAX_PHOTO_BYTES};
use crate::error::ApiError;

/// A photo stored more recently than this is not written again when the same bytes
/// come back; an older one is, so the sweep of unreferenced photos (which spares those
/// younger than an hour) never takes bytes a new row is about to refer to.
const FRESH_FOR: Duration = Duration::from_secs(30 * 60);

/// A received photo, still in its staged file.
#[derive(Debug)]
pub struct Upload {
    staged: Staged,
    pub sha256: String,
    pub bytes: i64,
}

impl Upload {
    /// Where the bytes are until [`PhotoStore::persist`].
    pub fn path(&self) -> Option<&Path> {
        self.staged.path.as_deref()
    }
}

#[derive(Debug, Clone)]
pub struct PhotoStore {
    objects: Objects,
    /// This node's folder of staged files.
    staging: PathBuf,
}

impl PhotoStore {
    /// The store `target` names; staged files (and, by default, the photos themselves)
    /// live under `<data dir>/photos`.
    pub fn open(data_dir: &Path, target: &PhotoStoreTarget) -> anyhow::Result<Self> {
        let root = data_dir.join("photos");
        let staging = root.join("tmp");
        crate::private_files::create_dir_all(&staging)?;
        crate::private_files::create_dir_all(&root.join("uploads"))?;
        Ok(Self {
            objects: Objects::open(target, &root)?,
            staging,
        })
    }

    /// Where the photos are, for the log.
    pub fn describe(&self) -> String {
        self.objects.describe()
    }

    fn photo_key(sha256: &str) -> String {
        format!("{}/{sha256}", &sha256[..2])
    }

    /// Where the parts of upload `id` are kept.
    fn upload_folder(id: &str) -> String {
        format!("uploads/{id}")
    }

    /// A new, empty staged file on this node (a photo's, or a resumable upload's chunk).
    pub async fn stage(&self) -> Result<(Staged, tokio::fs::File), ApiError> {
        let path = self.staging.join(format!("{}.part", uuid::Uuid::new_v4()));
        let file = tokio::fs::OpenOptions::from(crate::private_files::new_file_options())
            .open(&path)
            .await
            .map_err(storage_error)?;
        Ok((Staged { path: Some(path) }, file))
    }

    /// Streams the body to a staged file, refusing it as soon as it passes the cap or
    /// its first bytes do not match the declared type. Nothing is in place until
    /// [`PhotoStore::persist`]; a dropped upload deletes its file.
    pub async fn receive<S>(&self, payload: &mut S, declared: ImageType) -> Result<Upload, ApiError>
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
    {
        let (staged, mut file) = self.stage().await?;
        let mut intake = Intake::default();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if intake.bytes + chunk.len() > MAX_PHOTO_BYTES {
                return Err(ApiError::PayloadTooLarge {
                    limit: MAX_PHOTO_BYTES,
                });
            }
            intake.take(&chunk);
            if intake.head.len() == ImageType::HEAD_BYTES && !declared.matches(&intake.head) {
                return Err(mismatch(declared));
            }
            file.write_all(&chunk).await.map_err(storage_error)?;
        }
        intake.finish(staged, file, declared).await
    }

    /// Puts a received photo in place under its hash, durably, before any row refers
    /// to it. The same bytes already stored (for this or another record) are kept once.
    pub async fn persist(&self, upload: Upload) -> Result<(), ApiError> {
        let Some(staged) = upload.path() else {
            return Ok(());
        };
        let key = Self::photo_key(&upload.sha256);
        let fresh = self.objects.modified(&key).await?.is_some_and(|modified| {
            SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default()
                < FRESH_FOR
        });
        if fresh {
            return Ok(());
        }
        self.objects.put_file(&key, staged).await
    }

    /// A stored photo's bytes, streamed.
    pub async fn read(&self, sha256: &str) -> Result<Fetched, ApiError> {
        self.objects.get(&Self::photo_key(sha256)).await
    }

    /// When a stored photo was last written, if it is stored.
    pub async fn stored_at(&self, sha256: &str) -> Result<Option<SystemTime>, ApiError> {
        self.objects.modified(&Self::photo_key(sha256)).await
    }

    /// Removes a stored photo.
    pub async fn remove(&self, sha256: &str) -> Result<(), ApiError> {
        self.objects.delete(&Self::photo_key(sha256)).await
    }

    /// Every stored photo's hash with when it was last written.
    pub async fn stored_photos(&self) -> Result<Vec<(String, SystemTime)>, ApiError> {
        let listed = self.objects.list("").await?;
        Ok(listed
            .into_iter()
            .filter_map(|object| {
                let (folder, name) = object.key.split_once('/')?;
                let is_photo = folder.len() == 2
                    && name.len() == 64
                    && name.starts_with(folder)
                    && name.bytes().all(|b| b.is_ascii_hexdigit());
                is_photo.then(|| (name.to_owned(), object.modified))
            })
            .collect())
    }

    /// Keeps a staged chunk as bytes `start..` of upload `id`; returns its key, which the
    /// database records only if the upload still stands at `start`. Each part has a key
    /// of its own, so two nodes sending the same upload at once never overwrite each
    /// other's bytes: the loser's part is simply never recorded.
    pub async fn put_part(
        &self,
        id: &str,
        start: i64,
        staged: &Staged,
    ) -> Result<String, ApiError> {
        let key = format!(
            "{}/{start:010}-{}",
            Self::upload_folder(id),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let path = staged
            .path
            .as_deref()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a chunk without its file")))?;
        self.objects.put_file(&key, path).await?;
        Ok(key)
    }

    /// A part that was put but never recorded.
    pub async fn drop_part(&self, key: &str) {
        if let Err(error) = self.objects.delete(key).await {
            tracing::warn!(key, %error, "an unrecorded upload part stays until its upload goes");
        }
    }

    /// The first bytes of upload `id` up to `upto`, read from its recorded parts.
    pub async fn upload_head(&self, parts: &[PartRef], upto: i64) -> Result<Vec<u8>, ApiError> {
        let mut head = Vec::new();
        for part in parts.iter().filter(|p| p.start < upto) {
            let mut fetched = self.objects.get(&part.key).await?;
            while let Some(bytes) = fetched.body.next().await {
                head.extend_from_slice(&bytes?);
                if head.len() as i64 >= part.end.min(upto) {
                    break;
                }
            }
            head.truncate(part.end.min(upto) as usize);
        }
        Ok(head)
    }

    /// Gathers a finished upload's recorded parts, in order, into a staged file: its type
    /// checked by its first bytes and its SHA-256 computed from the bytes as stored. Only
    /// the recorded bytes of each part count.
    pub async fn assemble(
        &self,
        parts: &[PartRef],
        length: i64,
        declared: ImageType,
    ) -> Result<Upload, ApiError> {
        let (staged, mut file) = self.stage().await?;
        let mut intake = Intake::default();
        for part in parts {
            if part.start != intake.bytes as i64 {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "upload part {} starts at {}, not {}",
                    part.key,
                    part.start,
                    intake.bytes
                )));
            }
            let mut fetched = self.objects.get(&part.key).await?;
            let mut left = part.end - part.start;
            while left > 0 {
                let Some(bytes) = fetched.body.next().await else {
                    break;
                };
                let bytes = bytes?;
                let take = (bytes.len() as i64).min(left) as usize;
                intake.take(&bytes[..take]);
                file.write_all(&bytes[..take])
                    .await
                    .map_err(storage_error)?;
                left -= take as i64;
            }
            if left > 0 {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "upload part {} is {left} bytes short",
                    part.key
                )));
            }
        }
        if intake.bytes as i64 != length {
            return Err(ApiError::internal(anyhow::anyhow!(
                "an upload's parts hold {} of its {length} bytes",
                intake.bytes
            )));
        }
        if intake.bytes > MAX_PHOTO_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_PHOTO_BYTES,
            });
        }
        intake.finish(staged, file, declared).await
    }

    /// Removes every part of upload `id`, recorded or not.
    pub async fn remove_upload(&self, id: &str) -> Result<(), ApiError> {
        let folder = Self::upload_folder(id);
        for part in self.objects.list(&folder).await? {
            self.objects.delete(&part.key).await?;
        }
        // Uploads begun before parts had keys of their own kept one file each.
        self.objects.delete(&format!("{folder}.part")).await?;
        self.objects.forget_folder(&folder).await;
        Ok(())
    }
}

/// What a photo's bytes come to as they pass: their hash, their count and their first
/// bytes (which tell their type).
#[derive(Default)]
struct Intake {
    hasher: Sha256,
    head: Vec<u8>,
    bytes: usize,
}

impl Intake {
    fn take(&mut self, chunk: &[u8]) {
        if self.head.len() < ImageType::HEAD_BYTES {
            let room = (ImageType::HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..room]);
        }
        self.hasher.update(chunk);
        self.bytes += chunk.len();
    }

    /// The staged photo, once its type is the declared one and its bytes are on disk.
    async fn finish(
        self,
        staged: Staged,
        file: tokio::fs::File,
        declared: ImageType,
    ) -> Result<Upload, ApiError> {
        if !declared.matches(&self.head) {
            return Err(mismatch(declared));
        }
        file.sync_all().await.map_err(storage_error)?;
        Ok(Upload {
            staged,
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.bytes as i64,
        })
    }
}

pub fn mismatch(declared: ImageType) -> ApiError {
    ApiError::UnsupportedMediaType(Message::new(
        format!("the content is not a {} image", declared.content_type()),
        format!("ไฟล์ที่ส่งมาไม่ใช่รูปภาพชนิด {} ตามที่ระบุ", declared.content_type()),
    ))
}

pub fn storage_error(error: std::io::Error) -> ApiError {
    // ENOSPC and EDQUOT: the disk or the quota is full.
    if matches!(error.raw_os_error(), Some(28) | Some(122)) {
        tracing::error!(error = %error, "photo storage is full");
        ApiError::InsufficientStorage
    } else {
        ApiError::Internal(anyhow::Error::new(error).context("writing a photo"))
    }
}

/// A staged file on this node's disk, removed when dropped unless it was moved into
/// place.
#[derive(Debug)]
pub struct Staged {
    path: Option<PathBuf>,
}

impl Staged {
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}
