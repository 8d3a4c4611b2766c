//! Photo storage: files named by their SHA-256 under `<data dir>/photos`, written as a
//! temporary file, synced and renamed into place, so a crash or a full disk never leaves
//! a half photo where a whole one is expected.

use std::path::{Path, PathBuf};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::domain::Message;
use crate::error::ApiError;

pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_PHOTOS_PER_VISIT: i64 = 10;

/// The image types accepted, known by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub fn from_content_type(value: &str) -> Option<Self> {
        match value
            .split(';')
            .next()?
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// Whether `head` (the first bytes of the body) starts like this type.
    fn matches(self, head: &[u8]) -> bool {
        match self {
            Self::Jpeg => head.starts_with(&[0xFF, 0xD8, 0xFF]),
            Self::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            Self::Webp => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        }
    }
}

/// A received photo, still in its temporary file.
#[derive(Debug)]
pub struct Upload {
    temp: TempFile,
    pub sha256: String,
    pub bytes: i64,
}

#[derive(Debug, Clone)]
pub struct PhotoStore {
    root: PathBuf,
}

impl PhotoStore {
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("photos");
        crate::private_files::create_dir_all(&root.join("tmp"))?;
        Ok(Self { root })
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
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
            // The same bytes are already stored (for this or another visit).
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

fn mismatch(declared: ImageType) -> ApiError {
    ApiError::UnsupportedMediaType(Message::new(
        format!("the content is not a {} image", declared.content_type()),
        format!("ไฟล์ที่ส่งมาไม่ใช่รูปภาพชนิด {} ตามที่ระบุ", declared.content_type()),
    ))
}

fn storage_error(error: std::io::Error) -> ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert!(ImageType::Jpeg.matches(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!ImageType::Png.matches(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(ImageType::Png.matches(b"\x89PNG\r\n\x1a\n\0\0\0\x0d"));
        assert!(ImageType::Webp.matches(b"RIFF\x10\0\0\0WEBPVP8 "));
        assert!(!ImageType::Webp.matches(b"RIFF\x10\0\0\0WAVEfmt "));
        assert_eq!(
            ImageType::from_content_type("IMAGE/PNG; q=1"),
            Some(ImageType::Png)
        );
        assert_eq!(ImageType::from_content_type("image/gif"), None);
    }
}
