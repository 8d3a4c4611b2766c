//! Photo storage: files named by their SHA-256 under `<data dir>/photos`, written as a
//! temporary file, synced and renamed into place, so a crash or a full disk never leaves
//! a half photo where a whole one is expected.

use std::path::{Path, PathBuf};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::domain::{ImageType, Message, MAX_PHOTO_BYTES};
use crate::error::ApiError;

/// A received photo, still in its temporary file.
#[derive(Debug)]
pub struct Upload {
    temp: TempFile,
    pub sha256: String,
    pub bytes: i64,
}

impl Upload {
    /// Where the bytes are until [`PhotoStore::persist`].
    pub fn path(&self) -> Option<&Path> {
        self.temp.path.as_deref()
    }
}

#[derive(Debug, Clone)]
pub struct PhotoStore {
    root: PathBuf,
}

impl PhotoStore {
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("photos");
        crate::private_files::create_dir_all(&root.join("tmp"))?;
        crate::private_files::create_dir_all(&root.join("uploads"))?;
        Ok(Self { root })
    }

    /// The folder of the photos (`<2 hex>/<sha256>`), `tmp/` and `uploads/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// The folder of resumable uploads' bytes, one file each, named by the upload's id.
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("uploads")
    }

    /// Takes a finished resumable upload's file as a received photo: its type checked by
    /// its first bytes and its SHA-256 computed from the file as stored. The file is
    /// renamed into place by [`PhotoStore::persist`], or removed when dropped.
    pub async fn adopt(&self, path: PathBuf, declared: ImageType) -> Result<Upload, ApiError> {
        let temp = TempFile {
            path: Some(path.clone()),
        };
        let (sha256, bytes, head) = actix_web::web::block(move || {
            use std::io::Read;
            let mut file = std::fs::File::open(&path)?;
            let mut hasher = Sha256::new();
            let mut head = Vec::with_capacity(ImageType::HEAD_BYTES);
            let mut buffer = vec![0u8; 64 * 1024];
            let mut total = 0usize;
            loop {
                let read = file.read(&mut buffer)?;
                if read == 0 {
                    break;
                }
                if head.len() < ImageType::HEAD_BYTES {
                    let take = (ImageType::HEAD_BYTES - head.len()).min(read);
                    head.extend_from_slice(&buffer[..take]);
                }
                hasher.update(&buffer[..read]);
                total += read;
            }
            Ok::<_, std::io::Error>((hex::encode(hasher.finalize()), total, head))
        })
        .await?
        .map_err(storage_error)?;
        if bytes > MAX_PHOTO_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_PHOTO_BYTES,
            });
        }
        if !declared.matches(&head) {
            return Err(mismatch(declared));
        }
        Ok(Upload {
            temp,
            sha256,
            bytes: bytes as i64,
        })
    }

    /// Streams the body to a temporary file, refusing it as soon as it passes the cap or
    /// its first bytes do not match the declared type. Nothing is in place until
    /// [`PhotoStore::persist`]; a dropped upload deletes its file.
    pub async fn receive<S>(&self, payload: &mut S, declared: ImageType) -> Result<Upload, ApiError>
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
    {
        let path = self
            .root
            .join("tmp")
            .join(format!("{}.part", uuid::Uuid::new_v4()));
        let mut upload = Upload {
            temp: TempFile {
                path: Some(path.clone()),
            },
            sha256: String::new(),
            bytes: 0,
        };
        let mut file = tokio::fs::OpenOptions::from(crate::private_files::new_file_options())
            .open(&path)
            .await
            .map_err(storage_error)?;
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::with_capacity(16);
        let mut total = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            total += chunk.len();
            if total > MAX_PHOTO_BYTES {
                return Err(ApiError::PayloadTooLarge {
                    limit: MAX_PHOTO_BYTES,
                });
            }
            if head.len() < 12 {
                let take = (12 - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                if head.len() == 12 && !declared.matches(&head) {
                    return Err(mismatch(declared));
                }
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(storage_error)?;
        }
        if !declared.matches(&head) {
            return Err(mismatch(declared));
        }
        file.sync_all().await.map_err(storage_error)?;
        upload.sha256 = hex::encode(hasher.finalize());
        upload.bytes = total as i64;
        Ok(upload)
    }

    /// Moves a received upload into place under its hash, durably: the bytes were synced,
    /// then the rename, then the directory entry.
    pub async fn persist(&self, mut upload: Upload) -> Result<(), ApiError> {
        let Some(temp_path) = upload.temp.path.clone() else {
            return Ok(());
        };
        let target = self.path_of(&upload.sha256);
        let parent = target
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| self.root.clone());
        crate::private_files::create_dir_all_async(&parent)
            .await
            .map_err(storage_error)?;
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            // The same bytes are already stored (for this or another record). Touched, so
            // the sweep of unreferenced photos leaves them to the row about to refer to them.
            let touched = target.clone();
            actix_web::web::block(move || {
                std::fs::File::options()
                    .write(true)
                    .open(&touched)
                    .and_then(|file| file.set_modified(std::time::SystemTime::now()))
            })
            .await?
            .map_err(storage_error)?;
            return Ok(());
        }
        tokio::fs::rename(&temp_path, &target)
            .await
            .map_err(storage_error)?;
        upload.temp.path = None;
        actix_web::web::block(move || std::fs::File::open(&parent).and_then(|dir| dir.sync_all()))
            .await?
            .map_err(storage_error)?;
        Ok(())
    }

    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, ApiError> {
        tokio::fs::read(self.path_of(sha256))
            .await
            .map_err(|error| {
                if error.kind() == std::io::ErrorKind::NotFound {
                    ApiError::NotFound
                } else {
                    storage_error(error)
                }
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

/// Removes the temporary file unless it was renamed into place.
#[derive(Debug)]
struct TempFile {
    path: Option<PathBuf>,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}
